"""The paper's training path at realistic size in one command on one GPU (issue 20): sized for < 8 minutes on an H100.

For each of the paper's two architectures (GPTBigCode = StarCoder's, Llama = CodeLlama's) a random-init model of
~1.3B parameters is built locally (`standins.build_standin`: no download) with the embedded model's tokenizer, and
trained through `train.train_model` from the paper's own preset (`starcoder-15b` / `codellama-34b`) overriding only
sizes and precision: bf16, gradient checkpointing, rows of 2048 tokens (packed), a few optimizer steps:

    full    full fine-tuning (every weight; fp32 master weights, bf16 autocast, AdamW)
    lora    LoRA r=16 on every linear layer
    qlora   the base in 4-bit NF4 + LoRA (only where bitsandbytes imports)

Each reports tokens/s (input tokens over training time only), peak GPU memory and MFU (6·N FLOPs per token over the
GPU's dense bf16 peak, `sft_metrics.mfu`). Then the full fine-tune of each architecture answers the first --problems
HumanEval problems greedily through the project's `hf:` backend (`generate.generate_samples`) and `wcnb evaluate`
judges them (a random model's answers fail: the point is that the path runs). Everything measured, and every error
(one failing item does not stop the others), goes into one JSON file (--out).

    python benchmarks/gpu_check.py --out gpu_check.json            # on the GPU machine (~5-7 min on one H100)
    python benchmarks/gpu_check.py --toy --out /tmp/gpu_check.json  # tiny sizes on CPU (what tests run)

The GPU machine needs torch, transformers, peft, accelerate (installed there) and this package with its pure-Python
dependencies (trl, pydantic, typer, ...: bring them as wheels, `pip download -d wheels trl ...` here); no weights.
"""
from __future__ import annotations
import argparse, json, os, platform, subprocess, sys, tempfile, time, traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARCHS = {'gpt_bigcode': 'starcoder-15b', 'llama': 'codellama-34b'}  # architecture → the paper preset it stands in for
# ~1.1B (GPTBigCode) and ~1.25B (Llama) parameters with the 151,665-token embedded vocabulary (0.31B of them embeddings)
GPU_SIZES = {'gpt_bigcode': dict(hidden=2048, layers=24, heads=16, intermediate=5632),
             'llama': dict(hidden=2048, layers=20, heads=16, intermediate=5632)}
TOY_SIZES = {a: dict(hidden=64, layers=2, heads=4, intermediate=128) for a in ARCHS}
GPU_TRAIN = dict(max_length=2048, per_device_batch=4, global_batch=16, max_steps=6, warmup_steps=1)
TOY_TRAIN = dict(max_length=64, per_device_batch=1, global_batch=2, max_steps=1, warmup_steps=0, max_samples=16)


def train_data(folder: Path) -> Path:
    "Training JSONL from the shipped MBPP (all 974 problems, CC BY 4.0): instruction = its text, output = its code."
    from wizardcoder_nb.core import read_jsonl, write_jsonl
    from wizardcoder_nb.data import shipped_dir
    rows = read_jsonl(shipped_dir() / 'mbpp' / 'mbpp.jsonl.gz')
    return write_jsonl(folder / 'train.jsonl', [dict(instruction=r['text'], input='', output=r['code']) for r in rows])


def methods() -> list[str]:
    "full and lora always; qlora where bitsandbytes imports and a GPU is there to run it."
    import torch
    try:
        import bitsandbytes  # noqa: F401
        return ['full', 'lora', 'qlora'] if torch.cuda.is_available() else ['full', 'lora']
    except Exception: return ['full', 'lora']


def train_config(arch: str, method: str, toy: bool, cache: Path, model: Path):
    "The paper preset of `arch`'s model, sizes (and precision) overridden for this check."
    from wizardcoder_nb.train_config import load_train_config
    sizes = TOY_TRAIN if toy else GPU_TRAIN
    lora = dict(lora_targets='all-linear', lora_r=16, lora_alpha=32, merge=False) if method != 'full' else {}
    return load_train_config(ARCHS[arch], overrides=dict(
        model=str(model), method=method, precision='fp32' if toy else 'bf16', packing=True, save_steps=10_000,
        logging_steps=1, cache_dir=str(cache), **sizes, **lora))


KEEP = ('params', 'trainable_params', 'steps', 'global_batch', 'grad_accum', 'precision', 'device', 'tokens_seen',
        'train_time_s', 'tokens_per_s', 'mfu', 'peak_gpu_gb', 'peak_rss_gb', 'first_loss', 'last_loss', 'rows',
        'packing_isolation', 'wall_time_s')


def train_one(arch: str, method: str, model: Path, data: Path, work: Path, toy: bool) -> dict:
    "Train one (architecture, method) and return what it measured."
    import torch
    from wizardcoder_nb.train import train_model
    cfg = train_config(arch, method, toy, work / 'cache', model)
    if torch.cuda.is_available(): torch.cuda.empty_cache()
    s = train_model(cfg, data, work / f'{arch}-{method}', fresh=True, log=lambda m: print(f'  [{arch} {method}] {m}'))
    return dict(arch=arch, method=method, preset=ARCHS[arch], max_length=cfg.max_length, **{k: s.get(k) for k in KEEP},
                mfu_counts='6 x all parameters per token (LoRA/QLoRA: an upper bound; no recompute counted)')


def generate_and_evaluate(arch: str, run_dir: Path, problems: int, toy: bool, work: Path) -> dict:
    "Greedy HumanEval answers of the trained model through `hf:`, judged by `wcnb evaluate` (its own process)."
    from wizardcoder_nb.finetuned import hf_spec
    from wizardcoder_nb.generate import GenerateConfig, generate_samples
    out = work / f'eval-{arch}'
    gen = GenerateConfig(model=hf_spec(run_dir), template='wizardcoder', limit=problems, n=1, temperature=0.0,
                         max_new_tokens=16 if toy else 256, chunk=problems,
                         engine=dict(dtype='float32' if toy else 'bfloat16', concurrency=problems,
                                     cache_path=str(out / 'llm.sqlite')))
    t = time.time()
    samples = generate_samples(gen, 'humaneval', out / 'samples.jsonl')
    gen_s = time.time() - t
    wcnb = Path(sys.executable).parent / 'wcnb'
    r = subprocess.run([str(wcnb), 'evaluate', 'humaneval', str(samples), '--k', '1', '--out', str(out)],
                       capture_output=True, text=True, timeout=600)
    if r.returncode: raise RuntimeError(f'wcnb evaluate exited {r.returncode}: {r.stderr[-2000:]}')
    s = json.loads((out / 'summary.json').read_text())
    return dict(arch=arch, model=gen.model, problems=problems, generate_s=round(gen_s, 1),
                pass_at_1=s['pass_at_k'].get('1'), samples=str(samples), evaluate_stdout=r.stdout.strip()[-1500:])


def environment() -> dict:
    import torch, transformers, trl, peft, accelerate
    cuda = torch.cuda.is_available()
    return dict(python=platform.python_version(), torch=torch.__version__, transformers=transformers.__version__,
                trl=trl.__version__, peft=peft.__version__, accelerate=accelerate.__version__,
                device=torch.cuda.get_device_name(0) if cuda else f'cpu ({os.cpu_count()} cores)',
                gpu_memory_gb=round(torch.cuda.get_device_properties(0).total_memory / 2**30, 1) if cuda else None)


def attempt(report: dict, key: str, fn, *args):
    "Run one item; its result, or its error, goes into `report[key]` (a list); never raises."
    t = time.time()
    try: res = fn(*args) | dict(ok=True)
    except Exception as e:
        res = dict(ok=False, error=f'{type(e).__name__}: {e}', traceback=traceback.format_exc()[-3000:])
        print(f'  FAILED {key} {args[:2]}: {res["error"]}', file=sys.stderr)
    res['seconds'] = round(time.time() - t, 1)
    report[key].append(res)
    return res


def check(out: Path, toy: bool, problems: int, budget_s: float, work: Path | None = None) -> dict:
    "Build, train, generate and evaluate; write and return the report. Items left when `budget_s` is spent are skipped."
    from wizardcoder_nb.core import atomic_write_json
    from wizardcoder_nb.standins import build_standin
    t0, work = time.time(), Path(work or tempfile.mkdtemp(prefix='gpu_check-'))
    report = dict(toy=toy, started=time.strftime('%Y-%m-%d %H:%M:%S %Z'), env=environment(), methods=methods(),
                  sizes=TOY_SIZES if toy else GPU_SIZES, train=[], generate=[], skipped=[])
    data = train_data(work)
    for arch in ARCHS:
        t = time.time()
        model = build_standin(arch, work / f'standin-{arch}', dropout=0.0, **(TOY_SIZES if toy else GPU_SIZES)[arch])
        report.setdefault('build_s', {})[arch] = round(time.time() - t, 1)
        for method in report['methods']:
            if time.time() - t0 > budget_s: report['skipped'].append(f'{arch} {method}'); continue
            attempt(report, 'train', train_one, arch, method, model, data, work, toy)
        full = work / f'{arch}-full'
        if time.time() - t0 > budget_s: report['skipped'].append(f'{arch} generate'); continue
        attempt(report, 'generate', generate_and_evaluate, arch, full, problems, toy, work)
        atomic_write_json(out, report)  # what is measured so far survives a kill
    report['total_s'] = round(time.time() - t0, 1)
    report['ok'] = all(r['ok'] for r in report['train'] + report['generate']) and not report['skipped']
    atomic_write_json(out, report)
    return report


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--out', type=Path, default=Path('gpu_check.json'), help='the JSON report')
    p.add_argument('--toy', action='store_true', help='tiny sizes on CPU (fp32): the path, in a minute')
    p.add_argument('--problems', type=int, default=None, help='HumanEval problems to generate (default 4; toy 1)')
    p.add_argument('--budget-min', type=float, default=7.0, help='skip what is left after this many minutes')
    p.add_argument('--work', type=Path, default=None, help='scratch folder (default: a new temporary one)')
    a = p.parse_args(argv)
    r = check(a.out, a.toy, a.problems or (1 if a.toy else 4), a.budget_min * 60, a.work)
    for t in r['train']:
        what = (f"{t['tokens_per_s']} tokens/s  peak GPU {t['peak_gpu_gb']} GB  MFU {t['mfu']}  "
                f"loss {t['first_loss']} -> {t['last_loss']}") if t['ok'] else t['error']
        print(f"{t.get('arch'):12} {t.get('method'):6} {what}")
    for g in r['generate']:
        print(f"{g.get('arch'):12} humaneval  " + (f"pass@1 {g['pass_at_1']}" if g['ok'] else g['error']))
    print(f"{a.out}: {'ok' if r['ok'] else 'FAILED items (see the JSON)'} in {r['total_s']} s")
    return 0 if r['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
