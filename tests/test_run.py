"""The papermill chain behind `wcnb run`: order, records, resume, re-runs after a change, failures naming the cell.

The chain runs real notebooks with papermill, in a temporary pipeline folder whose stage notebooks are small
probes: each loads its parameters with `run.load_stage` (as the real pipeline notebooks do), appends its name to
a trace file, writes one output and records it. The stage modules themselves are tested by their own notebooks;
`make demo` runs the real pipeline end to end.
"""
import json, os, subprocess, sys
from pathlib import Path
import nbformat, pytest
from wizardcoder_nb.core import WcnbError
from wizardcoder_nb import run as wr

PROBE = '''from pathlib import Path
from wizardcoder_nb.core import WcnbError
from wizardcoder_nb.run import load_stage, record_outputs
cfg, paths = load_stage(config, workdir)
with open(paths.root / 'trace.txt', 'a') as f: f.write('{stage}\\n')'''
WORK = '''if (paths.root / 'FAIL-{stage}').exists(): raise WcnbError('planted failure in {stage}')
out = paths.data / '{stage}.out'
out.parent.mkdir(parents=True, exist_ok=True); out.write_text(str(cfg.generate.limit))
record_outputs(paths, '{stage}', {{'out': out}})'''


def probe_notebook(stage: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(metadata={'kernelspec': {'name': 'python3', 'display_name': 'Python 3', 'language': 'python'}})
    params = nbformat.v4.new_code_cell("config = {}\nworkdir = '.'")
    params.metadata['tags'] = ['parameters']
    nb.cells = [nbformat.v4.new_markdown_cell(f'# probe {stage}'), params,
                nbformat.v4.new_code_cell(PROBE.format(stage=stage)), nbformat.v4.new_code_cell(WORK.format(stage=stage))]
    return nb


@pytest.fixture
def env(tmp_path):
    pipe = tmp_path / 'pipeline'; pipe.mkdir()
    for i, s in enumerate(wr.STAGES, 1): nbformat.write(probe_notebook(s), pipe / f'{i}0_{s}.ipynb')
    cfg = tmp_path / 'cfg.yaml'
    cfg.write_text('run: probe\ngenerate:\n  limit: 2\n')
    return tmp_path, pipe, cfg


def trace(root: Path) -> list[str]:
    p = root / 'trace.txt'
    lines = p.read_text().split() if p.exists() else []
    p.unlink(missing_ok=True)
    return lines


def run(root, pipe, cfg, **kw):
    logs = []
    rec = wr.run_pipeline(cfg, workdir=root, notebooks=pipe, log=logs.append, **kw)
    return rec, logs


def test_chain_runs_in_order_and_resumes(env):
    root, pipe, cfg = env
    rec, logs = run(root, pipe, cfg)
    assert trace(root) == wr.STAGES
    assert rec['status'] == 'done' and all(rec['stages'][s]['status'] == 'done' for s in wr.STAGES)
    assert all((root / 'runs' / 'probe' / 'notebooks' / f'{i}0_{s}.ipynb').exists() for i, s in enumerate(wr.STAGES, 1))
    executed = nbformat.read(root / 'runs/probe/notebooks/50_generate.ipynb', as_version=4)
    assert any('injected-parameters' in c.metadata.get('tags', []) for c in executed.cells)  # the run record keeps its config
    # nothing changed: every stage is skipped, except the report, which is rebuilt each time
    rec, logs = run(root, pipe, cfg)
    assert trace(root) == ['report']
    assert sum('skipped' in l for l in logs) == len(wr.STAGES) - 1
    # a changed generate setting re-runs generate and everything after it, and only that
    rec, logs = run(root, pipe, cfg, overrides={'generate.limit': 3})
    assert trace(root) == ['generate', 'evaluate', 'report']
    assert (root / 'data/probe/generate.out').read_text() == '3'
    # --from forces a stage and all later ones; --only forces just the listed ones
    run(root, pipe, cfg, overrides={'generate.limit': 3}, from_stage='evaluate')
    assert trace(root) == ['evaluate', 'report']
    run(root, pipe, cfg, overrides={'generate.limit': 3}, only=['decontaminate'])
    assert trace(root) == ['decontaminate']
    # a deleted output re-runs its stage; decontaminate ran again above, so the stages after it are out of date too
    (root / 'data/probe/decontaminate.out').unlink()
    run(root, pipe, cfg, overrides={'generate.limit': 3})
    assert trace(root) == ['decontaminate', 'train', 'generate', 'evaluate', 'report']


def test_failure_names_stage_and_cell_then_resumes(env):
    root, pipe, cfg = env
    (root / 'FAIL-train').touch()
    with pytest.raises(WcnbError) as e: run(root, pipe, cfg)
    msg = str(e.value)
    assert "stage 'train' failed at cell 3 of 40_train.ipynb" in msg, msg
    assert 'planted failure in train' in msg and 'runs/probe/notebooks/40_train.ipynb' in msg
    assert trace(root) == ['evolve', 'merge', 'decontaminate', 'train']
    state = json.loads((root / 'runs/probe/run.json').read_text())
    assert state['status'] == 'failed' and state['stages']['train']['status'] == 'failed'
    assert 'planted failure' in (root / 'runs/probe/notebooks/40_train.ipynb').read_text()  # the failed record is kept
    (root / 'FAIL-train').unlink()
    rec, logs = run(root, pipe, cfg)
    assert trace(root) == ['train', 'generate', 'evaluate', 'report']
    assert rec['status'] == 'done'


def test_bad_inputs_are_clear(env, tmp_path):
    root, pipe, cfg = env
    bad = tmp_path / 'bad.yaml'
    bad.write_text('run: probe\nvariants:\n  - tag: a\n    rounds: 3-1\n')
    with pytest.raises(WcnbError, match=r"bad.yaml:\d+: field 'variants.0.rounds': .*bad rounds '3-1'"): run(root, pipe, bad)
    with pytest.raises(WcnbError, match='unknown stage'): run(root, pipe, cfg, only=['evolv'])
    with pytest.raises(WcnbError, match='folder name'): run(root, pipe, cfg, run_id='../x')
    next(pipe.glob('*_merge.ipynb')).unlink()
    with pytest.raises(WcnbError, match=r'no notebook for stage\(s\) merge'): run(root, pipe, cfg)


def test_cli_run_reports_errors_with_exit_2(env):
    root, pipe, cfg = env
    bad = root / 'bad.yaml'
    bad.write_text('run: probe\ncolour: red\n')
    r = subprocess.run([str(Path(sys.executable).parent / 'wcnb'), 'run', '--config', str(bad)], capture_output=True, text=True)
    assert r.returncode == 2 and "bad.yaml:2: field 'colour'" in r.stderr, (r.returncode, r.stdout, r.stderr)


@pytest.mark.parametrize('name', ['tiny-cpu', 'starcoder-15b', 'codellama-34b'])
def test_shipped_configs_validate(name):
    cfg = wr.load_run_config(Path(__file__).resolve().parent.parent / 'configs' / f'{name}.yaml')
    assert cfg.run == name and cfg.variants and cfg.benchmarks
    if name == 'tiny-cpu':  # the demo runs on the embedded model only, on a CPU
        assert set(cfg.models.specs().values()) == {'embedded'} and cfg.train.model == cfg.generate.model == 'embedded'
        assert cfg.train_launcher is None and cfg.finetuned_backend == 'hf'
    else:  # the paper's settings: vLLM generation, DeepSpeed ZeRO-3 training, the published hyperparameters
        assert cfg.finetuned_backend == 'vllm' and 'deepspeed-zero3' in cfg.train_launcher
        assert (cfg.train.lr, cfg.train.epochs, cfg.train.max_length, cfg.train.global_batch, cfg.train.warmup_steps) == (2e-5, 3, 2048, 512, 30)
        assert (cfg.models.resolve('evolver').spec, cfg.decontaminate.judge.spec) == ('openai:gpt-3.5-turbo', 'openai:gpt-4o')


@pytest.mark.parametrize('name', ['tiny-cpu', 'starcoder-15b', 'codellama-34b'])
def test_top_level_configs_reference_their_train_preset(name):
    "A run config's train section is its preset, referenced rather than copied: same values, and no copy in the file."
    from wizardcoder_nb.core import load_config
    from wizardcoder_nb.train import TrainConfig
    root = Path(__file__).resolve().parent.parent / 'configs'
    cfg = wr.load_run_config(root / f'{name}.yaml')
    preset = load_config(TrainConfig, root / 'train' / f'{name}.yaml')
    demo = dict(grad_accum=4, max_steps=5, warmup_steps=2, save_steps=5) if name == 'tiny-cpu' else {}  # the demo's shortening
    assert cfg.train == preset.model_copy(update=demo)
    text = (root / f'{name}.yaml').read_text()
    assert f'from: train/{name}.yaml' in text
    assert 'lr: 2.0e-5' not in text and 'global_batch' not in text                 # nothing restated


def test_run_record_lists_additions(env):
    "run.json names each role's model and the additions to the paper's recipe that are on."
    root, pipe, cfg = env
    cfg.write_text('run: probe\nevolve:\n  additions: {few_shot: 2, near_dup: 0.8}\ngenerate:\n  limit: 2\n')
    rec, _ = run(root, pipe, cfg, only=['report'])
    assert rec['additions'] == ['evolve.few_shot', 'evolve.near_dup'] and rec['models']['evolver'] == 'embedded'


def test_dry_run_prints_the_plan_and_spends_nothing(tmp_path, wcnb_exe):
    "`wcnb run --dry-run`: each stage's requests, tokens and cost per role and model; no folder is created."
    cfg = Path(__file__).resolve().parent.parent / 'configs' / 'starcoder-15b.yaml'
    p = subprocess.run([wcnb_exe, 'run', '--config', str(cfg), '--dry-run', '--set', 'benchmarks=[humaneval]',
                        '--set', 'evolve.seeds=data/seeds/wcnb_seeds.jsonl', '--set', 'variants=[{tag: wizardcoder, rounds: 0-3}]'],
                       cwd=tmp_path, capture_output=True, text=True, env={**os.environ, 'OPENAI_API_KEY': ''})
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    row = lambda stage, role: next(l.split() for l in lines if l.split()[:2] == [stage, role])
    ev = row('evolve', 'evolver')
    assert ev[2:4] == ['openai:gpt-3.5-turbo', str(40 * 4)] and ev[-1].startswith('$')     # 40 seeds x 4 rounds, priced
    assert row('decontaminate', 'decontam_judge')[2] == 'openai:gpt-4o'
    assert any(l.split()[:2] == ['generate', 'humaneval'] for l in lines) and 'total' in p.stdout
    assert "additions to the paper's recipe: none" in p.stdout
    assert list(tmp_path.iterdir()) == []                                          # nothing written


def test_pipeline_notebooks_are_thin():
    "Each pipeline notebook: one `parameters` cell of plain literals, no nbdev export, no logic of its own."
    import ast
    nbs = wr.pipeline_notebooks(Path(__file__).resolve().parent.parent / 'nbs' / 'pipeline')
    assert list(nbs) == wr.STAGES
    for stage, path in nbs.items():
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == 'code']
        params = [c for c in code if 'parameters' in c.metadata.get('tags', [])]
        assert len(params) == 1, f'{path.name}: expected one parameters cell'
        for node in ast.parse(params[0].source).body:  # plain literals only, as papermill expects
            assert isinstance(node, ast.Assign), f'{path.name}: parameters cell holds a non-assignment'
            ast.literal_eval(node.value)
        for c in code:
            assert '#| export' not in c.source and 'default_exp' not in c.source, f'{path.name}: nbdev directives'
            for node in ast.walk(ast.parse(c.source)):
                assert not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.For, ast.While, ast.If)), f'{path.name}: logic in a pipeline notebook'
        assert any(f'stage_{stage}(' in c.source for c in code), f'{path.name}: does not call stage_{stage}'
