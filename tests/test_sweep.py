"""A sweep over two base models at tiny size, end to end (issue: one batch, many base models): the embedded
Qwen2.5-Coder-0.5B and a tiny random-init Llama stand-in each run the real pipeline (papermill notebooks: evolve,
merge, decontaminate, train, generate, evaluate, report) shortened by overrides, then one comparative report; a rerun
resumes (every stage skipped); a base model that fails is recorded and the others still finish and are compared."""
import json, subprocess
from pathlib import Path
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SHORT = {'evolve.n_seeds': 2, 'evolve.rounds': 1, 'variants': [{'tag': 'wizardcoder', 'rounds': '0-1'}],
         'train.max_steps': 1, 'train.grad_accum': 1,
         'train.warmup_steps': 0, 'train.save_steps': 1, 'generate.limit': 2, 'generate.max_new_tokens': 48,
         'decontaminate.benchmarks': ['humaneval'], 'decontaminate.reverse_k': 1}


def _sweep(work: Path, name: str, bases: list) -> Path:
    tiny = yaml.safe_load((ROOT / 'configs' / 'sweep' / 'tiny-cpu.yaml').read_text())
    cfg = dict(tiny, sweep=name, set=SHORT, bases=bases)
    (work / f'{name}.yaml').write_text(yaml.safe_dump(cfg))
    return work / f'{name}.yaml'


@pytest.fixture(scope='module')
def swept(tmp_path_factory, wcnb_exe):
    work = tmp_path_factory.mktemp('sweep')
    (work / 'configs').symlink_to(ROOT / 'configs')
    tiny = yaml.safe_load((ROOT / 'configs' / 'sweep' / 'tiny-cpu.yaml').read_text())
    bases = tiny['bases'] + [dict(tag='broken', config='configs/no-such-run.yaml')]
    path = _sweep(work, 'sw', bases)
    r = subprocess.run([wcnb_exe, 'sweep', '--config', str(path)], cwd=work, capture_output=True, text=True)
    return work, path, r


def test_sweep_runs_each_base_model_then_compares(swept):
    work, path, r = swept
    assert r.returncode == 1, r.stdout[-3000:] + r.stderr[-3000:]   # one base model failed: exit 1, others done
    rec = json.loads((work / 'runs' / 'sw' / 'sweep.json').read_text())
    status = {b['tag']: b['status'] for b in rec['bases']}
    assert status == {'qwen-0.5b': 'done', 'tiny-llama': 'done', 'broken': 'failed'}, rec
    assert 'no-such-run.yaml' in next(b['error'] for b in rec['bases'] if b['tag'] == 'broken')
    for tag in ('qwen-0.5b', 'tiny-llama'):
        run = json.loads((work / 'runs' / f'sw-{tag}' / 'run.json').read_text())
        assert run['status'] == 'done'
        assert run['config']['train']['model'].endswith('embedded' if tag == 'qwen-0.5b' else 'tiny-llama')
        assert (work / 'runs' / f'sw-{tag}' / 'report' / 'report.html').exists()
    assert json.loads((work / 'models' / 'standins' / 'tiny-llama' / 'standin.json').read_text())['random_init']
    cmp = json.loads((work / 'runs' / 'sw' / 'comparison' / 'comparison.json').read_text())
    rows = {(r['run'], r['benchmark']): r for r in cmp['rows']}
    assert set(rows) == {('sw-qwen-0.5b', 'humaneval'), ('sw-tiny-llama', 'humaneval')}
    for row in rows.values():   # base and tuned judged on the same 2 problems, the paired test computed
        assert row['base'] and row['tuned'] and row['paired'] is not None
    html = (work / 'runs' / 'sw' / 'comparison' / 'comparison.html').read_text()
    assert 'sw-qwen-0.5b' in html and 'sw-tiny-llama' in html


def test_sweep_rerun_resumes(swept, wcnb_exe):
    work, path, _ = swept
    cfg = yaml.safe_load(path.read_text()); cfg['bases'] = cfg['bases'][:2]
    path.write_text(yaml.safe_dump(cfg))
    r = subprocess.run([wcnb_exe, 'sweep', '--config', str(path)], cwd=work, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert r.stdout.count('done before with the same inputs: skipped') == 12, r.stdout[-3000:]  # 6 stages x 2 runs
