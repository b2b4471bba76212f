"""Benchmark supervised fine-tuning throughput: the TRL implementation (wizardcoder_nb.train) against the one before it.

In one process, on the same real instructions (the first --samples rows of evol-codealpaca from the restricted
fixtures, or --data), train --steps optimizer steps of each variant with each implementation and print the training
tokens/s (input tokens the trainer fed the model, padding excluded, over the training time only: loading,
tokenization and saving are not counted) and the ratio TRL / before:

    lora            the tiny preset (LoRA r=8 on q/v, no packing)
    lora+packing    samples packed into rows of max_length tokens, attention kept inside each sample
    qlora           the base in 4-bit NF4 (double quantisation), LoRA on top
    qlora+packing

"before" is `wizardcoder_nb/train.py` as it was at --base (default d5d75e6, the last commit on transformers'
`Trainer` with hand-written collators and packing), read with `git show` into a temporary module. Both train on the
same samples in the same order (the same seed); packed rows may differ, which is why the comparison is per token.

On a shared machine the wall clock measures the neighbours as much as the code, so each variant runs --repeats times
per implementation in the order before, TRL, TRL, before, ... (a drift of load falls on both sides alike) and the
medians are compared. Beside tokens/s the table gives tokens per CPU-second of this process during training
(`time.process_time`, all its threads): what the code costs, which waiting for a busy CPU does not change. The load
average is printed before and after.

usage: python benchmarks/bench_sft.py [--samples 32] [--steps 2] [--repeats 2] [--trl-first] [--variants lora,...]
"""
from __future__ import annotations
import argparse, importlib.util, json, os, statistics, subprocess, sys, tempfile, time
from pathlib import Path
from wizardcoder_nb.core import FixtureMissing, fixture_file, write_jsonl
from wizardcoder_nb import train as after_impl

ROOT = Path(__file__).resolve().parent.parent

def real_slice(n: int, folder: Path) -> Path:
    "The first `n` rows of evol-codealpaca as training JSONL in `folder` (a restricted fixture; never committed)."
    try: src = fixture_file('evol-teacher/evol-codealpaca-2k-1.json')  # restricted (CC BY-NC): never shipped
    except FixtureMissing as e: sys.exit(f"{e}; or pass --data with a training JSONL")
    rows = json.loads(src.read_text())[:n]
    rows = [dict(instruction=r['instruction'], input=r.get('input', ''), output=r['output']) for r in rows]
    return write_jsonl(folder / 'train.jsonl', rows)

def before_impl(base: str):
    "The training module as it was at commit `base`, imported as `wizardcoder_nb._train_before`."
    src = subprocess.run(['git', 'show', f'{base}:wizardcoder_nb/train.py'], cwd=ROOT, capture_output=True, text=True)
    if src.returncode: sys.exit(f"git show {base}:wizardcoder_nb/train.py failed: {src.stderr.strip()}")
    path = Path(tempfile.mkdtemp()) / '_train_before.py'
    path.write_text(src.stdout)
    spec = importlib.util.spec_from_file_location('wizardcoder_nb._train_before', path)
    mod = importlib.util.module_from_spec(spec); sys.modules[spec.name] = mod; spec.loader.exec_module(mod)
    return mod

def cpu_clock():
    "A TrainerCallback that records the process's CPU seconds (all threads) from the start to the end of training."
    from transformers import TrainerCallback
    class CpuClock(TrainerCallback):
        seconds = 0.0
        def on_train_begin(self, args, state, control, **kw): self.t0 = time.process_time()
        def on_train_end(self, args, state, control, **kw): self.seconds = time.process_time() - self.t0
    return CpuClock()

def run_variant(impl, name: str, data: Path, tmp: Path, steps: int) -> dict:
    "Train `steps` steps of variant `name` with the module `impl`; its tokens/s and what it trained on."
    method, _, pack = name.partition('+')
    tag = 'trl' if impl is after_impl else 'before'
    cfg = impl.TrainConfig(method=method, packing=pack == 'packing', max_steps=steps, warmup_steps=1, save_steps=10**6,
                           merge=False, cache_dir=tmp / f'cache-{tag}')  # the defaults are the tiny-cpu preset
    clock = cpu_clock()
    s = impl.train_model(cfg, data, tmp / f'{tag}-{name}', fresh=True, callbacks=[clock], log=lambda m: None)
    tokens = s['tokens_this_session']
    return dict(rows=s['rows'], tokens=tokens, train_s=s['train_time_s'], tokens_per_s=s['tokens_per_s'],
                tokens_per_cpu_s=round(tokens / clock.seconds, 2), peak_rss_gb=s['peak_rss_gb'])

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--samples', type=int, default=32)
    ap.add_argument('--steps', type=int, default=2)
    ap.add_argument('--repeats', type=int, default=2)
    ap.add_argument('--trl-first', action='store_true', help='start each variant with TRL (to continue an ABBA order)')
    ap.add_argument('--variants', default='lora,lora+packing,qlora,qlora+packing')
    ap.add_argument('--base', default='d5d75e6', help='the commit whose train.py is "before"')
    ap.add_argument('--data', type=Path, help='training JSONL to use instead of the evol-codealpaca fixture')
    a = ap.parse_args()
    import datasets
    from transformers.utils import logging as hf_logging
    hf_logging.disable_progress_bar(); datasets.disable_progress_bars()
    impls = dict(before=before_impl(a.base), trl=after_impl)
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d); data = a.data or real_slice(a.samples, tmp)
        load0, runs = os.getloadavg()[0], {}
        for v in a.variants.split(','):
            for r in range(a.repeats):
                for tag in ('before', 'trl') if (r + a.trl_first) % 2 == 0 else ('trl', 'before'):  # B, T, T, B, ...
                    runs.setdefault((v, tag), []).append(run_variant(impls[tag], v, data, tmp, a.steps))
                    print(f"{v:<14} {tag:<7} {runs[v, tag][-1]}", file=sys.stderr, flush=True)
        load1 = os.getloadavg()[0]
    print(f"tiny-cpu preset, {a.data or a.samples} samples, {a.steps} steps, {a.repeats} run(s) per implementation; "
          f"before = train.py at {a.base}; load average {load0:.1f} -> {load1:.1f} on {os.cpu_count()} CPUs")
    print(f"{'variant':<14} {'rows b/t':>9} {'tokens b/t':>11} {'tok/s before':>12} {'tok/s TRL':>9} "
          f"{'TRL/before':>10} {'tok/CPU-s b':>11} {'tok/CPU-s TRL':>13} {'TRL/before':>10} {'RSS GB b/t':>11}")
    med = lambda rs, k: statistics.median(r[k] for r in rs)
    for v in a.variants.split(','):
        b, t = runs[v, 'before'], runs[v, 'trl']
        wb, wt = med(b, 'tokens_per_s'), med(t, 'tokens_per_s')
        cb, ct = med(b, 'tokens_per_cpu_s'), med(t, 'tokens_per_cpu_s')
        print(f"{v:<14} {b[0]['rows']:>4}/{t[0]['rows']:<4} {b[0]['tokens']:>5}/{t[0]['tokens']:<5} {wb:>12.2f} "
              f"{wt:>9.2f} {wt / wb:>10.2f} {cb:>11.2f} {ct:>13.2f} {ct / cb:>10.2f} "
              f"{med(b, 'peak_rss_gb'):>5.2f}/{med(t, 'peak_rss_gb'):<5.2f}")
    print("TRL/before: the TRL implementation's median over the one before's, both measured in this process")

if __name__ == '__main__':
    main()
