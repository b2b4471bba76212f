"""The paper's own path in miniature on CPU (issue 20): `configs/starcoder-15b.yaml` and `configs/codellama-34b.yaml`
run as they are on tiny random-init stand-ins of their architectures (GPTBigCode, Llama; `standins`), overriding only
sizes (tokens per sample, samples per device and per step, steps, the save interval) and precision (fp32: these cores
have no fast bf16/fp16). Full fine-tuning with gradient
checkpointing, prompt-masked loss and the preset's global batch, launched by the pipeline's own `train_launcher` path
(`run.stage_train` → `accelerate launch` → `wcnb train`) with 2 CPU processes (DDP over gloo); compared with 1 process
at the same global batch; killed (SIGKILL) mid-run and resumed; every file write recorded per rank; the saved model
generating through the `hf:` backend and evaluated. What cannot run on a CPU (DeepSpeed ZeRO-3, vLLM) is checked as
the real tools parse it."""
import json, os, re, signal, subprocess, sys, textwrap
from pathlib import Path
import pytest
from wizardcoder_nb.core import WcnbError, write_jsonl
from conftest import mbpp_train_file

ROOT = Path(__file__).resolve().parent.parent
PAPER = {'starcoder-15b': 'gpt_bigcode', 'codellama-34b': 'llama'}  # config → the architecture of its base model
# Only sizes change: tokens per sample, samples per device and per optimizer step, steps (warmup and the save interval
# are counted in steps, so they shrink with them); and precision: fp32, since these cores have no fast bf16/fp16 (the
# presets' bf16 autocast ran a step of this stand-in in ~60 s here; benchmarks/gpu_check.py measures bf16 on a GPU).
# lr, scheduler, method, gradient checkpointing, the batch arithmetic: the preset's.
# A step is the whole 8-sample set (global_batch 8), so every step sees the same samples whatever the process count.
SIZES = dict(max_length=96, per_device_batch=2, global_batch=8, max_steps=3, warmup_steps=1, save_steps=2,
             logging_steps=1, save_total_limit=None, precision='fp32')
# accelerate's launcher starts CPU processes with torch's elastic launcher when asked for several processes
# (`--multi_gpu` names the launcher, not the device: the Trainer runs on CPU with gloo, as `use_cpu` says).
LAUNCHER = 'accelerate launch --multi_gpu --num_processes 2 --num_machines 1 --mixed_precision no --dynamo_backend no'
LOSS_RTOL = 1e-4  # 2 processes vs 1 at the same global batch: the same samples per step, fp32 sums in another order
ENV = {'OMP_NUM_THREADS': '1', 'TOKENIZERS_PARALLELISM': 'false', 'HF_HUB_OFFLINE': '1'}

# Every file a process opens for writing, renames, removes or creates, under WCNB_AUDIT_ROOT, one log per rank
# (Python's audit hooks: the Python-level writes; safetensors' Rust writer is seen through the folder it needs).
AUDIT = '''
import os, sys, json
_root, _log = os.environ.get('WCNB_AUDIT_ROOT'), os.environ.get('WCNB_AUDIT_LOG')
if _root and _log and 'RANK' in os.environ:
    _out = open(f"{_log}.rank{os.environ['RANK']}", 'a', buffering=1)
    _W = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    def _rec(what, p):
        if isinstance(p, (str, bytes, os.PathLike)):
            p = os.path.abspath(os.fsdecode(p))
            if p.startswith(_root): _out.write(json.dumps([what, os.path.relpath(p, _root)]) + "\\n")
    def _hook(event, args):
        if event == 'open' and ((isinstance(args[1], str) and any(c in args[1] for c in 'wax+'))
                                or (args[1] is None and isinstance(args[2], int) and args[2] & _W)):
            _rec('write', args[0])
        elif event == 'os.rename': _rec(event, args[1])  # where it lands (atomic writes rename a temporary file)
        elif event in ('os.remove', 'os.rmdir', 'os.mkdir', 'shutil.rmtree', 'os.symlink'): _rec(event, args[0])
    sys.addaudithook(_hook)
'''


def _env(tmp: Path, audit_root: Path | None = None) -> dict:
    env = {**os.environ, **ENV}
    if audit_root:
        (tmp / 'audit').mkdir(exist_ok=True); (tmp / 'audit' / 'sitecustomize.py').write_text(AUDIT)
        env |= dict(PYTHONPATH=os.pathsep.join(filter(None, [str(tmp / 'audit'), env.get('PYTHONPATH')])),
                    WCNB_AUDIT_ROOT=str(audit_root.resolve()), WCNB_AUDIT_LOG=str(tmp / 'audit' / 'log'))
    return env


def _audit(tmp: Path) -> dict[int, list]:
    return {int(p.suffix[5:]): [tuple(json.loads(l)) for l in p.read_text().splitlines()]
            for p in sorted((tmp / 'audit').glob('log.rank*'))}


@pytest.fixture(scope='module')
def train_file(tmp_path_factory) -> Path:
    "8 real instruction/response pairs: MBPP's train split (tasks 601-608, CC BY 4.0, shipped), as training JSONL."
    return mbpp_train_file(tmp_path_factory.mktemp('data'), 601, 608)


def paper_config(name: str, model: Path, cache: Path, **extra):
    "The run config `configs/<name>.yaml` with only sizes overridden, its model the stand-in, one variant."
    from wizardcoder_nb.run import load_run_config
    ov = {f'train.{k}': v for k, v in {**SIZES, 'model': str(model), 'cache_dir': str(cache)}.items()}
    return load_run_config(ROOT / 'configs' / f'{name}.yaml', overrides=ov | extra)


@pytest.fixture(scope='module', params=list(PAPER))
def paper(request, tmp_path_factory, train_file):
    "One paper config in miniature, trained by the pipeline's train stage under 2 CPU processes, uninterrupted."
    from wizardcoder_nb.run import RunPaths, stage_train, variant_train_file
    from wizardcoder_nb.standins import build_standin
    name, tmp = request.param, tmp_path_factory.mktemp(request.param)
    model = build_standin(PAPER[name], tmp / 'standin', dropout=0.0)
    cfg = paper_config(name, model, tmp / 'cache', train_launcher=LAUNCHER,
                       variants=[dict(tag='wizardcoder', rounds='0-3')])
    paths = RunPaths(cfg.run, tmp / 'root')
    data = variant_train_file(cfg, paths, cfg.main); data.parent.mkdir(parents=True)
    data.write_bytes(train_file.read_bytes())
    env = _env(tmp, paths.models)
    old = os.environ.copy(); os.environ.update(env)  # stage_train starts the launcher with this process's environment
    try: stage_train(cfg, paths)
    finally: os.environ.clear(); os.environ.update(old)
    return dict(name=name, arch=PAPER[name], tmp=tmp, cfg=cfg, paths=paths, data=data, model=model,
                out=paths.models, summary=json.loads((paths.models / 'summary.json').read_text()), audit=_audit(tmp))


def test_the_preset_runs_as_the_paper_sets_it(paper):
    s, name = paper['summary'], paper['name']
    preset = __import__('wizardcoder_nb.train_config', fromlist=['x']).load_train_config(name)
    assert s['complete'] and s['method'] == 'full' and s['steps'] == SIZES['max_steps']
    assert (s['processes'], s['grad_accum'], s['global_batch']) == (2, 2, 8)  # 8 / (2 per device × 2 processes)
    assert s['samples'] == s['samples_in'] == 8  # none dropped: each step is the whole set
    c = s['config']
    assert (c['lr'], c['scheduler'], c['gradient_checkpointing']) == (preset.lr, preset.scheduler, True)
    assert preset.precision in ('fp16', 'bf16') and s['precision'] == 'fp32'
    assert s['trainable_params'] == s['params']  # full fine-tuning: every weight trains
    arch = json.loads((paper['out'] / 'merged' / 'config.json').read_text())['model_type']
    assert arch == paper['arch']


def _losses(out: Path) -> list[float]:
    return [h['loss'] for h in json.loads((out / 'log_history.json').read_text()) if 'loss' in h]


def _one_process(paper) -> dict:
    "The stage's training in 1 process at the same global batch: run once per stand-in by whichever test asks first."
    if 'one' not in paper:   # tests may land on different xdist workers: none may rely on another having run
        from wizardcoder_nb import train as T
        from wizardcoder_nb.train_config import load_train_config
        section = paper['paths'].run_dir / 'train.wizardcoder.yaml'  # what the stage gave the launcher
        paper['one'] = T.train_model(load_train_config(config=section), paper['data'], paper['tmp'] / 'one-process')
    return paper['one']


def test_two_processes_reach_the_loss_of_one_at_the_same_global_batch(paper):
    one = _one_process(paper)
    assert (one['processes'], one['grad_accum'], one['global_batch']) == (1, 4, 8)
    two = _losses(paper['out'])
    assert len(two) == SIZES['max_steps']
    assert two == pytest.approx(_losses(paper['tmp'] / 'one-process'), rel=LOSS_RTOL)


def test_the_loss_is_the_responses_only(paper):
    "Step 1's loss (logged before any update) is the mean over the response tokens of all 8 samples: prompts masked."
    import torch
    from transformers import AutoModelForCausalLM
    from wizardcoder_nb.sft_data import TokenizedSet, load_tokenizer, read_train_samples
    tok = load_tokenizer(str(paper['model']))
    model = AutoModelForCausalLM.from_pretrained(paper['model'], dtype=torch.float32).eval()
    ts = TokenizedSet.from_samples(read_train_samples(paper['data']), tok, SIZES['max_length'])
    nll = {'response': [0.0, 0], 'all': [0.0, 0]}
    for i in range(len(ts)):
        ex_ids, labels = (torch.tensor(v) for v in ts.example(i).values())
        with torch.no_grad(): logits = model(ex_ids[None]).logits[0, :-1].float()
        tok_nll = torch.nn.functional.cross_entropy(logits, ex_ids[1:], reduction='none')
        keep = labels[1:] != -100
        nll['response'][0] += tok_nll[keep].sum().item(); nll['response'][1] += int(keep.sum())
        nll['all'][0] += tok_nll.sum().item(); nll['all'][1] += len(tok_nll)
    response, every = (s / n for s, n in nll.values())
    _one_process(paper)
    for out in (paper['out'], paper['tmp'] / 'one-process'):
        first = _losses(out)[0]
        assert first == pytest.approx(response, rel=LOSS_RTOL), out
        assert abs(first - every) > 5 * LOSS_RTOL * every  # the unmasked mean is off by 0.08-0.2% here


def _weights(folder: Path) -> dict:
    from safetensors.torch import load_file
    return {k: v for p in sorted(folder.glob('*.safetensors')) for k, v in load_file(str(p)).items()}


KILL = '''
import os, signal, sys
from transformers import TrainerCallback
from wizardcoder_nb.train import train_model
from wizardcoder_nb.train_config import load_train_config

class KillAt(TrainerCallback):  # SIGKILL: no handler runs, no file is closed, as when a node dies
    def on_step_end(self, args, state, control, **kw):
        if state.global_step == int(sys.argv[4]) and state.is_world_process_zero: os.kill(os.getpid(), signal.SIGKILL)

train_model(load_train_config(config=sys.argv[1]), sys.argv[2], sys.argv[3], callbacks=[KillAt()])
'''


def test_killed_mid_run_the_stage_resumes_to_the_same_weights(paper):
    "Rank 0 is SIGKILLed at the end of step 3 of 3 (checkpoint-2 written, the final save not yet): the stage resumes."
    from wizardcoder_nb.run import RunPaths, stage_train
    tmp, cfg = paper['tmp'], paper['cfg']
    paths = RunPaths(cfg.run, tmp / 'killed')
    data = paths.data / 'train.clean.jsonl'; data.parent.mkdir(parents=True)
    data.write_bytes(paper['data'].read_bytes())
    (tmp / 'kill.py').write_text(KILL)
    section = paper['paths'].run_dir / 'train.wizardcoder.yaml'
    launcher = [str(Path(sys.executable).parent / 'accelerate'), *LAUNCHER.split()[1:]]  # this venv's, as stage_train
    cmd = [*launcher, str(tmp / 'kill.py'), str(section), str(data), str(paths.models), '3']
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=_env(tmp), cwd=paths.root)
    assert r.returncode != 0 and 'SIGKILL' in r.stderr + r.stdout, r.stderr[-3000:]
    ckpts = sorted(p.name for p in (paths.models / 'checkpoints').glob('checkpoint-*'))
    assert ckpts == ['checkpoint-2']
    assert not (paths.models / 'merged').exists() and not (paths.models / 'summary.json').exists()
    old = os.environ.copy(); os.environ.update(_env(tmp))
    try: stage_train(cfg, paths)  # the same stage call as the uninterrupted run: it resumes from checkpoint-2
    finally: os.environ.clear(); os.environ.update(old)
    s = json.loads((paths.models / 'summary.json').read_text())
    assert s['complete'] and s['steps'] == 3 and s['resumed_from'].endswith('checkpoint-2')
    assert s['tokens_seen'] == paper['summary']['tokens_seen'] > s['tokens_this_session']
    resumed, straight, init = (_weights(d) for d in (paths.models / 'merged', paper['out'] / 'merged', paper['model']))
    assert resumed.keys() == straight.keys()
    moved = max((straight[k] - init[k]).abs().max().item() for k in straight if k in init)
    assert moved > 1e-5  # training changed the weights by far more than the tolerance below
    assert all(torch_allclose(resumed[k], straight[k], atol=1e-7) for k in straight)


def torch_allclose(a, b, atol):
    import torch
    return torch.allclose(a, b, rtol=0, atol=atol)


def test_only_rank_0_writes_the_run(paper):
    "Per-rank audit of the uninterrupted run: rank 1 writes nothing but the checkpoint folders its RNG state goes in."
    audit = paper['audit']
    assert set(audit) == {0, 1}
    rank0 = {p for _, p in audit[0]}
    assert {'summary.json', 'log_history.json', 'train_config.json', '.merged.saving/config.json', 'merged'} <= rank0
    assert any(re.fullmatch(r'checkpoints/checkpoint-2/trainer_state\.json', p) for p in rank0)
    # torch.save writes through C++ (no audit event): rank 1's own RNG state file is seen on disk instead
    ckpt = re.compile(r'checkpoints/checkpoint-\d+')
    assert audit[1] and all(e[0] == 'os.mkdir' and ckpt.fullmatch(e[1]) for e in audit[1]), audit[1]
    assert (paper['out'] / 'checkpoints' / 'checkpoint-2' / 'rng_state_1.pth').exists()


def test_the_saved_model_generates_through_hf_and_is_evaluated(paper):
    "The paper config's own generate section, its backend swapped from vllm: to hf: (vLLM needs CUDA), on 2 problems."
    from wizardcoder_nb.evaluate import evaluate_samples
    from wizardcoder_nb.finetuned import hf_spec
    from wizardcoder_nb.generate import generate_samples
    from wizardcoder_nb.results import eval_entry
    cfg, d = paper['cfg'], paper['tmp'] / 'eval' / 'humaneval' / 'wizardcoder'
    assert cfg.finetuned_backend == 'vllm' and cfg.generate.template == 'wizardcoder' and cfg.generate.temperature == 0
    gen = cfg.generate.model_copy(update=dict(model=hf_spec(paper['out']), limit=2, chunk=2, max_new_tokens=24,
                                              engine=dict(dtype='float32', cache_path=str(d / 'llm.sqlite'))))
    samples = generate_samples(gen, 'humaneval', d / 'samples.jsonl', progress=False)
    s = evaluate_samples('humaneval', samples, d, cfg.evaluate.ks)
    e = eval_entry(d / 'results.jsonl')
    assert (e['tasks'], e['samples']) == (2, 2) and s['pass_at_k']['1']['value'] == e['pass1']
    assert e['pass1'] == 0.0  # random weights: the answers are noise, and the sandbox fails them


# -- what cannot run on a CPU: the launch a GPU run would use, as the real tools read it --------------------------

@pytest.mark.parametrize('name', list(PAPER))
def test_the_gpu_launch_is_what_accelerate_and_deepspeed_read(name, monkeypatch, tmp_path):
    "The paper config's train_launcher parsed and validated by accelerate's own launch code (ZeRO-3, 8 processes)."
    import shlex
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser
    from wizardcoder_nb.run import load_run_config
    from wizardcoder_nb.train_config import grad_accum_steps
    monkeypatch.chdir(ROOT)  # the launcher's config paths are relative to the repository root, as documented
    cfg = load_run_config(ROOT / 'configs' / f'{name}.yaml')
    argv = [*shlex.split(cfg.train_launcher)[2:], 'wcnb', 'train', '--config', 'train.yaml', '--data', 'x.jsonl']
    args, defaults, _ = _validate_launch_command(launch_command_parser().parse_args(argv))
    assert args.use_deepspeed and args.num_processes == 8 and args.training_script == 'wcnb'
    assert args.training_script_args == ['train', '--config', 'train.yaml', '--data', 'x.jsonl']
    ds = json.loads(Path(args.deepspeed_config_file).read_text())
    assert ds['zero_optimization']['stage'] == 3 and args.zero3_init_flag in (True, 'true')
    # the "auto" values DeepSpeed gets are the Trainer's: the preset's batch per device and the derived accumulation
    keys = ('train_batch_size', 'train_micro_batch_size_per_gpu', 'gradient_accumulation_steps')
    assert {ds[k] for k in keys} == {'auto'}
    t = cfg.train
    assert t.per_device_batch * grad_accum_steps(t, args.num_processes) * args.num_processes == 512


@pytest.mark.parametrize('name', list(PAPER))
def test_the_vllm_generation_config_is_valid_and_says_what_is_missing(name):
    "vLLM needs CUDA: the paper's generation settings validate as an engine config, and using them names the gap."
    from wizardcoder_nb.llm import LLMConfig, Sampling, get_engine
    from wizardcoder_nb.run import load_run_config
    cfg = load_run_config(ROOT / 'configs' / f'{name}.yaml')
    llm = LLMConfig(spec=cfg.generate.model, **cfg.generate.engine)
    assert llm.spec.startswith('vllm:') and llm.tensor_parallel_size == cfg.generate.engine['tensor_parallel_size']
    try: import vllm  # noqa: F401
    except ImportError:
        with pytest.raises(WcnbError, match="vllm: package 'vllm' is not installed"):
            with get_engine(llm) as eng: eng.complete(['def f():'], Sampling(max_tokens=4), stage='test')


def test_the_fsdp_launch_is_what_accelerate_reads(monkeypatch):
    "FSDP (the no-DeepSpeed alternative) is read, not run: by accelerate's launch code; the block classes it wraps."
    import transformers
    from accelerate.commands.launch import _validate_launch_command, launch_command_parser
    monkeypatch.chdir(ROOT)
    argv = ['--config_file', 'configs/accelerate/fsdp.yaml', 'wcnb', 'train', '--preset', 'codellama-34b']
    args, _, _ = _validate_launch_command(launch_command_parser().parse_args(argv))
    assert args.use_fsdp and not args.use_deepspeed and args.num_processes == 8
    assert str(args.fsdp_version) == '2' and args.fsdp_auto_wrap_policy == 'TRANSFORMER_BASED_WRAP'
    assert args.fsdp_state_dict_type == 'FULL_STATE_DICT'  # the final save is one ordinary model folder
    for cls in (transformers.LlamaForCausalLM, transformers.GPTBigCodeForCausalLM):  # what TRANSFORMER_BASED_WRAP wraps
        assert cls._no_split_modules and all(hasattr(transformers, m) or m.endswith(('Layer', 'Block'))
                                             for m in cls._no_split_modules)

# -- benchmarks/gpu_check.py: its CPU path at toy size --------------------------------------------------------------

def test_gpu_check_runs_its_whole_path_at_toy_size(tmp_path):
    "Both architectures, full and LoRA, trained from the paper presets; each full model generates and is judged."
    out = tmp_path / 'gpu_check.json'
    r = subprocess.run([sys.executable, str(ROOT / 'benchmarks' / 'gpu_check.py'), '--toy', '--out', str(out),
                        '--work', str(tmp_path / 'work'), '--budget-min', '30'],
                       capture_output=True, text=True, timeout=1800,
                       env={**os.environ, **ENV})
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    rep = json.loads(out.read_text())
    assert rep['toy'] and rep['ok'] and not rep['skipped'] and rep['env']['torch']
    runs = {(t['arch'], t['method']) for t in rep['train']}
    assert runs == {(a, m) for a in PAPER.values() for m in ('full', 'lora')}
    for t in rep['train']:
        assert t['ok'] and t['steps'] == 1 and t['tokens_per_s'] > 0 and t['peak_rss_gb'] > 0, t
        assert t['packing_isolation'].startswith('verified') and t['precision'] == 'fp32'
        assert (t['trainable_params'] == t['params']) == (t['method'] == 'full')
    assert [(g['arch'], g['ok'], g['problems']) for g in rep['generate']] == [(a, True, 1) for a in PAPER.values()]
    assert all(g['pass_at_1']['value'] == 0.0 and g['model'].startswith('hf:') for g in rep['generate'])


# -- the ablation (restricted data: Code Alpaca 2k and evol-teacher round 1) ---------------------------------------

def test_the_ablation_runs_at_tiny_size_and_reports_table_4(restricted, tmp_path):
    from wizardcoder_nb.ablation import load_ablation_config, miniature, run_ablation
    from wizardcoder_nb.standins import build_standin
    cfg = load_ablation_config(ROOT / 'configs' / 'ablation-evol-vs-alpaca.yaml')
    data = {'code-alpaca': restricted('codealpaca/code_alpaca_2k.json'),
            'code-evol': restricted('evol-teacher/evol-codealpaca-2k-1.json')}
    model = build_standin('llama', tmp_path / 'standin', dropout=0.0)
    res = run_ablation(miniature(cfg, model, data, cache_dir=tmp_path / 'cache'), tmp_path, log=lambda m: None)
    assert [r['benchmark'] for r in res['rows']] == cfg.benchmarks == ['humaneval', 'humaneval+', 'mbpp', 'mbpp+']
    sizes = {t: (s['samples'], s['of']) for t, s in res['sets'].items()}
    assert sizes == {'code-alpaca': (8, 2015), 'code-evol': (8, 1966)}
    for r in res['rows']:
        assert r['paired']['n'] == 2 and r['paired']['test'] == 'McNemar exact'
        assert all(e['tasks'] == 2 and e['lo'] <= e['pass1'] <= e['hi'] for e in r['arms'].values())
    assert res['sets']['code-alpaca']['no_output'] == 2  # Code Alpaca 2k has 2 records with an empty output
    saved = json.loads(Path(res['files']['json']).read_text())
    assert [r['benchmark'] for r in saved['rows']] == cfg.benchmarks and 'Code Evol-Instruct' in res['html']
    for tag in data:  # one model per arm, trained on its own matched set
        s = json.loads((tmp_path / 'models' / cfg.run / tag / 'summary.json').read_text())
        assert s['samples_in'] == 8 and s['data'].endswith(f'{tag}/train.jsonl')
