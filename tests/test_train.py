"""Supervised fine-tuning (wizardcoder_nb.train and its rooms, on TRL's SFTTrainer) on the real embedded model: label
masking through TRL's collator, truncation counting, packing isolation, a 3-step LoRA run that is interrupted and
resumed (and matches an uninterrupted run), the merged model loading and generating, the CLI, tracking to
TensorBoard, two processes, and the accelerate/DeepSpeed/FSDP files. GPU tests skip without CUDA."""
import json, os, subprocess, sys
from pathlib import Path
import pytest
from wizardcoder_nb.core import WcnbError, write_jsonl
from conftest import mbpp_train_file
from wizardcoder_nb.templates import IGNORE_INDEX, format_prompt
from wizardcoder_nb import finetuned as F, sft_data as D, sft_model as M, train as T, train_config as C

ROOT = Path(__file__).resolve().parent.parent

@pytest.fixture(scope='module')
def tok():
    from wizardcoder_nb.assets import embedded_hf_dir
    return T.load_tokenizer(str(embedded_hf_dir()))

@pytest.fixture(scope='module')
def real_slice(tmp_path_factory) -> Path:
    "16 rows of a real instruction set: MBPP's train split (tasks 601-616, CC BY 4.0, shipped), as training JSONL."
    return mbpp_train_file(tmp_path_factory.mktemp('data'), 601, 616)

SAMPLES = [dict(instruction='Write a function that adds two numbers.', output='def add(a, b):\n    return a + b'),
           dict(instruction='Reverse the string.', input='s = "abc"', output='print(s[::-1])  # cba')]

# -- label masking --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize('rec', SAMPLES)
def test_every_prompt_token_masked_every_response_token_and_eos_trained(rec, tok):
    s = D.TrainSample(**rec)
    ids, n_prompt = D.encode_sample(s, tok)
    labels = D.labels_for(ids, n_prompt)
    assert tok.decode(ids[:n_prompt]) == format_prompt(s.instruction, s.input)  # the prompt is exactly the template
    assert all(l == IGNORE_INDEX for l in labels[:n_prompt])
    assert all(l == t and l != IGNORE_INDEX for l, t in zip(labels[n_prompt:], ids[n_prompt:]))
    assert labels[-1] == tok.eos_token_id and tok.decode(ids[n_prompt:-1]) == s.output

def test_masking_survives_padding_and_packing(tok):
    from trl.trainer.sft_trainer import DataCollatorForLanguageModeling as Collator  # what SFTTrainer batches with
    ts = T.TokenizedSet.from_samples([D.TrainSample(**r) for r in SAMPLES], tok, max_length=512)
    n = ts.lengths().tolist()
    pad = Collator(tok.pad_token_id)([ts.example(0), ts.example(1)])
    for row, (L, p) in enumerate(zip(n, ts.n_prompt.tolist())):
        lab = pad['labels'][row].tolist()
        assert set(lab[:p]) == {IGNORE_INDEX} and IGNORE_INDEX not in lab[p:L] and set(lab[L:]) <= {IGNORE_INDEX}
        assert pad['attention_mask'][row].sum() == L
    packed = Collator(tok.pad_token_id, padding_free=True)([ts.example(0), ts.example(1)])  # TRL's packed batch
    lab, pos = packed['labels'][0].tolist(), packed['position_ids'][0].tolist()
    assert pos == list(range(n[0])) + list(range(n[1]))
    expect = ts.example(0)['labels'] + ts.example(1)['labels']
    assert lab == expect and 'attention_mask' not in packed

# -- truncation is counted, never silent ----------------------------------------------------------------------------

def test_truncation_and_drops_are_counted(tok, tmp_path):
    long_out = 'x = 1\n' * 200
    rows = [SAMPLES[0], dict(instruction='Repeat.', output=long_out), dict(instruction='word ' * 300, output='ok')]
    p = write_jsonl(tmp_path / 't.jsonl', rows)
    cfg = T.TrainConfig(max_length=64, cache_dir=tmp_path / 'cache')
    ts, hit = T.tokenize_cached(p, tok, cfg)
    assert not hit
    st = ts.stats
    assert (st['samples_in'], st['samples'], st['truncated'], st['dropped_prompt_too_long']) == (3, 2, 1, 1)
    assert ts.lengths().max() == 64
    assert '1 truncated' in T.overlong_report(ts.stats) and '1 dropped prompt too long' in T.overlong_report(ts.stats)
    drop = T.tokenize_cached(p, tok, cfg.model_copy(update=dict(overlong='drop')))[0]
    assert (drop.stats['samples'], drop.stats['dropped_overlong']) == (1, 1)
    assert T.tokenize_cached(p, tok, cfg)[1]  # second time: from the cache

def test_input_errors_name_file_line_or_field(tmp_path):
    bad = tmp_path / 'bad.jsonl'
    bad.write_text('{"instruction": "a", "output": "b"}\n{"instruction": "a"}\n')
    with pytest.raises(WcnbError, match=r"bad.jsonl:2: field 'output'"): D.read_train_samples(bad)
    with pytest.raises(WcnbError, match='training data not found'):
        T.train_model(T.TrainConfig(), tmp_path / 'none.jsonl', tmp_path / 'o')
    with pytest.raises(WcnbError, match='tiny-cpu'): T.load_train_config('no-such-preset')
    with pytest.raises(WcnbError, match='global_batch'):
        C.grad_accum_steps(T.TrainConfig(global_batch=512, per_device_batch=16), 3)
    (tmp_path / 'c.yaml').write_text('method: lora\nlora_r: -3\n')
    with pytest.raises(WcnbError, match=r"c.yaml:2: field 'lora_r'"): T.load_train_config(config=tmp_path / 'c.yaml')

# -- packing isolation on the real model ----------------------------------------------------------------------------

def test_packed_samples_do_not_attend_to_each_other(tok):
    from wizardcoder_nb.assets import embedded_hf_dir
    model = M.load_base_model(str(embedded_hf_dir()), T.TrainConfig(method='full'), 'fp32')
    assert model.config.use_cache is False and M.packing_isolated(model, tok)
    model.config.use_cache = True  # transformers then ignores the packed position_ids: samples would see each other
    assert not M.packing_isolated(model, tok)

# -- a real LoRA run: interrupted, resumed, equal to an uninterrupted run; merged model generates ------------------

def _stop_at(step):
    from transformers import TrainerCallback
    class Stop(TrainerCallback):
        def on_step_end(self, args, state, control, **kw):
            if state.global_step >= step: control.should_training_stop = True
    return Stop()

def _cfg(tmp_path, **kw):
    return T.TrainConfig(max_length=64, max_steps=3, grad_accum=1, save_steps=1, warmup_steps=1, lr=1e-3,
                         cache_dir=tmp_path / 'cache', **kw)

def _adapter_weights(d: Path) -> dict:
    from safetensors.torch import load_file
    return load_file(str(d / 'adapter' / 'adapter_model.safetensors'))

@pytest.fixture(scope='module')
def straight_run(tmp_path_factory, real_slice):
    "3 LoRA steps uninterrupted, merged at the end."
    tmp = tmp_path_factory.mktemp('straight')
    return T.train_model(_cfg(tmp, merge=True), real_slice, tmp / 'run'), tmp / 'run'

def test_lora_run_trains_and_reports(straight_run):
    s, out = straight_run
    assert s['complete'] and s['steps'] == 3 and s['method'] == 'lora'
    assert s['truncated'] + s['dropped_prompt_too_long'] > 0
    assert s['samples'] + s['dropped_prompt_too_long'] == s['samples_in'] == 16
    assert s['tokens_seen'] > 0 and s['tokens_per_s'] > 0 and s['peak_rss_gb'] > 0.5
    assert s['trainable_params'] < s['params'] / 100
    assert {'first_loss', 'last_loss'} <= s.keys()
    for f in ('adapter/adapter_config.json', 'merged/config.json', 'loss.png', 'summary.json', 'log_history.json'):
        assert (out / f).exists(), f
    assert json.loads((out / 'summary.json').read_text())['steps'] == 3

def test_interrupted_run_resumes_to_the_same_weights(straight_run, real_slice, tmp_path):
    import torch
    cfg, out = _cfg(tmp_path, merge=False), tmp_path / 'run'
    part = T.train_model(cfg, real_slice, out, callbacks=[_stop_at(2)])
    assert part == dict(complete=False, steps=2, max_steps=3, checkpoint=str(out / 'checkpoints' / 'checkpoint-2'))
    assert not (out / 'summary.json').exists()
    s = T.train_model(cfg, real_slice, out)
    assert s['complete'] and s['steps'] == 3 and s['resumed_from'].endswith('checkpoint-2')
    assert s['tokens_seen'] == straight_run[0]['tokens_seen'] and s['tokens_this_session'] < s['tokens_seen']
    a, b = _adapter_weights(straight_run[1]), _adapter_weights(out)
    assert a.keys() == b.keys() and all(torch.allclose(a[k], b[k], atol=1e-6) for k in a)
    assert T.train_model(cfg, real_slice, out)['wall_time_s'] == s['wall_time_s']  # finished: the same summary back
    with pytest.raises(WcnbError, match='lora_r: 8 -> 4'): T.train_model(_cfg(tmp_path, lora_r=4), real_slice, out)

def test_adapter_and_merged_model_load_and_generate(straight_run):
    import torch
    out = straight_run[1]
    spec = F.hf_spec(out)
    assert spec == f"hf:{(out / 'merged').resolve()}"
    tok, merged = F.load_finetuned(out, 'merged')
    _, adapted = F.load_finetuned(out, 'adapter')
    text = F.generate_text(tok, merged, 'Write a Python function that returns the square of x.', max_new_tokens=12)
    assert isinstance(text, str) and text.strip()
    enc = tok(format_prompt('Sum a list.'), return_tensors='pt')
    with torch.no_grad():  # merging folds the adapter in (fp32): the same logits up to float rounding
        lm, la = merged(**enc).logits[0, -1], adapted(**enc).logits[0, -1]
    assert lm.argmax() == la.argmax() and torch.allclose(lm, la, atol=1e-3 * la.abs().max().item())

def test_engine_hf_backend_loads_the_merged_model(straight_run):
    from wizardcoder_nb.llm import Sampling, get_engine
    out = straight_run[1]
    with get_engine(F.hf_spec(out), concurrency=1, cache_path=out / 'llm.sqlite', progress=False) as eng:
        [c] = eng.complete([format_prompt('Print hello.')], Sampling(temperature=0, max_tokens=8), stage='test')
    assert c.choices[0].text is not None

def test_cli_returns_a_finished_run_and_reports_errors(straight_run, real_slice, wcnb_exe):
    s, out = straight_run
    sets = [f'--set={k}={json.dumps(v) if not isinstance(v, str) else v}' for k, v in s['config'].items()
            if v is not None and k != 'cache_dir'] + [f"--set=cache_dir={s['config']['cache_dir']}"]
    r = subprocess.run([wcnb_exe, 'train', '--data', str(real_slice), '--out', str(out), *sets],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert 'already trained' in r.stderr and '"steps": 3' in r.stdout
    r = subprocess.run([wcnb_exe, 'train', '--data', str(out / 'missing.jsonl')], capture_output=True, text=True)
    assert r.returncode == 2 and 'training data not found' in r.stderr

# -- launch files for several GPUs / nodes --------------------------------------------------------------------------

@pytest.mark.parametrize('name', ['deepspeed-zero3', 'deepspeed-zero3-2nodes', 'fsdp'])
def test_accelerate_configs_parse_and_give_the_paper_batch(name):
    from accelerate.commands.config.config_args import load_config_from_file
    c = load_config_from_file(str(ROOT / 'configs' / 'accelerate' / f'{name}.yaml'))
    if c.deepspeed_config:
        ds = json.loads((ROOT / c.deepspeed_config['deepspeed_config_file']).read_text())
        assert ds['zero_optimization']['stage'] == 3 and ds['gradient_accumulation_steps'] == 'auto'
    for preset in ('starcoder-15b', 'codellama-34b'):
        p = T.load_train_config(preset)
        assert p.per_device_batch * C.grad_accum_steps(p, c.num_processes) * c.num_processes == 512
        assert (p.lr, p.epochs, p.max_length, p.warmup_steps, p.scheduler, p.gradient_checkpointing) == \
               (2e-5, 3, 2048, 30, 'cosine', True)

def test_every_preset_loads():
    names = C.list_presets()
    assert {'tiny-cpu', 'starcoder-15b', 'codellama-34b', 'gpu-small-qlora', 'gpu-small-full'} <= set(names)
    for n in names: T.load_train_config(n)

# -- GPU (skipped without CUDA) ------------------------------------------------------------------------------------

def _cuda() -> bool:
    try:
        import torch
        return torch.cuda.is_available()
    except ImportError: return False

@pytest.mark.skipif(not _cuda(), reason='needs a CUDA GPU')
@pytest.mark.parametrize('preset', ['gpu-small-qlora', 'gpu-small-full'])
def test_gpu_presets_train(preset, real_slice, tmp_path):
    cfg = T.load_train_config(preset, overrides=dict(max_steps=4, save_steps=4, cache_dir=str(tmp_path / 'cache')))
    s = T.train_model(cfg, real_slice, tmp_path / preset)
    assert s['complete'] and s['device'] == 'cuda' and s['peak_gpu_gb'] > 0 and s['tokens_per_s'] > 0
    assert s['packing_isolation'].startswith('verified')
    assert (tmp_path / preset / 'merged' / 'config.json').exists()

# -- two processes (CPU, gloo): batch arithmetic, rank-0 writes, collective save ------------------------------------
# accelerate's own launcher starts several CPU processes only through mpirun; torchrun starts them here, and the
# Trainer (accelerate inside) runs the same multi-process path it runs under `accelerate launch` on GPUs.

@pytest.fixture(scope='module')
def tiny_random_model(tmp_path_factory, tok) -> Path:
    "A 2-layer, 64-wide Qwen2 with random weights and the embedded tokenizer: real code paths, seconds per step."
    from wizardcoder_nb.standins import build_standin
    return build_standin('qwen2', tmp_path_factory.mktemp('tiny-model'))

def test_two_processes(tiny_random_model, real_slice, tmp_path, wcnb_exe):
    out = tmp_path / 'ddp'
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port', '29517',
           wcnb_exe, 'train', '--data', str(real_slice), '--out', str(out), '--model', str(tiny_random_model),
           '--max-steps', '2', '--packing', '--set', 'global_batch=4', '--set', 'max_length=64',
           '--set', 'save_steps=1', '--set', f'cache_dir={tmp_path / "cache"}']
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                       env={**os.environ, 'OMP_NUM_THREADS': '1'})
    assert r.returncode == 0, r.stderr[-3000:]
    s = json.loads((out / 'summary.json').read_text())
    assert (s['processes'], s['grad_accum'], s['global_batch'], s['steps']) == (2, 2, 4, 2)
    assert s['packing_isolation'].startswith('not checked')
    assert (out / 'adapter' / 'adapter_model.safetensors').exists() and (out / 'merged' / 'config.json').exists()
    assert not list(out.glob('.*.saving'))

# -- experiment tracking ---------------------------------------------------------------------------------------------

def test_report_to_tensorboard_writes_event_files(tiny_random_model, real_slice, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    cfg = T.TrainConfig(model=str(tiny_random_model), max_length=64, max_steps=2, warmup_steps=0, grad_accum=1,
                        save_steps=2, report_to='tensorboard', merge=False, cache_dir=tmp_path / 'cache')
    s = T.train_model(cfg, real_slice, tmp_path / 'run')
    events = list((tmp_path / 'run' / 'checkpoints' / 'runs').glob('*/events.out.tfevents.*'))
    assert s['complete'] and len(events) == 1
    scalars = EventAccumulator(str(events[0].parent)).Reload().Scalars('train/loss')
    assert [e.step for e in scalars] == [1, 2] and scalars[0].value == pytest.approx(s['first_loss'], abs=1e-4)
    assert s['config']['report_to'] == 'tensorboard'

def test_report_to_a_tracker_that_is_not_installed_fails_first(real_slice, tmp_path):
    from transformers.integrations import is_wandb_available
    if is_wandb_available(): pytest.skip('wandb is installed here')
    with pytest.raises(WcnbError, match="field 'report_to': wandb not installed"):
        T.train_model(T.TrainConfig(report_to=['tensorboard', 'wandb']), real_slice, tmp_path / 'run')
    assert not (tmp_path / 'run').exists()
