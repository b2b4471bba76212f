"""Benchmark supervised fine-tuning throughput (wizardcoder_nb.train) on the tiny-cpu preset.

In one process, on the same real instructions (the first --samples rows of evol-codealpaca from the data dir), train
--steps optimizer steps of each variant and print the training tokens/s (input tokens the Trainer fed the model,
padding excluded, over the training time only: loading, tokenization and saving are not counted) and its ratio to
the baseline `lora` (the tiny preset as shipped: LoRA, no packing):

    lora            the tiny preset (baseline)
    lora+packing    samples packed into rows of max_length tokens, attention kept inside each sample
    qlora           the base in 4-bit NF4 (double quantisation), LoRA on top
    qlora+packing

Packing changes the work per step (a row holds several samples), which is why the comparison is per token. The load
average is printed before and after: on a shared machine the ratios are only as good as the load was steady.

usage: python benchmarks/bench_sft.py [--samples 48] [--steps 4] [--variants lora,lora+packing,qlora,qlora+packing]
"""
from __future__ import annotations
import argparse, json, os, sys, tempfile, time
from pathlib import Path
from wizardcoder_nb.core import FixtureMissing, fixture_file, write_jsonl
from wizardcoder_nb.train import load_train_config, train_model

ROOT = Path(__file__).resolve().parent.parent

def real_slice(n: int, folder: Path) -> Path:
    "The first `n` rows of evol-codealpaca as training JSONL in `folder` (a restricted fixture; never committed)."
    try: src = fixture_file('evol-teacher/evol-codealpaca-2k-1.json')  # restricted (CC BY-NC): never shipped
    except FixtureMissing as e: sys.exit(str(e))
    rows = json.loads(src.read_text())[:n]
    return write_jsonl(folder / 'train.jsonl', [dict(instruction=r['instruction'], input=r.get('input', ''), output=r['output']) for r in rows])

def run_variant(name: str, data: Path, tmp: Path, steps: int) -> dict:
    method, _, pack = name.partition('+')
    cfg = load_train_config('tiny-cpu', overrides=dict(method=method, packing=pack == 'packing', max_steps=steps, warmup_steps=1,
                                                        save_steps=10**6, merge=False, cache_dir=str(tmp / 'cache')))
    s = train_model(cfg, data, tmp / name, fresh=True, log=lambda m: None)
    return dict(variant=name, steps=s['steps'], rows=s['rows'], tokens=s['tokens_this_session'], train_s=s['train_time_s'],
                tokens_per_s=s['tokens_per_s'], peak_rss_gb=s['peak_rss_gb'], loss=s.get('last_loss'))

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--samples', type=int, default=48)
    ap.add_argument('--steps', type=int, default=4)
    ap.add_argument('--variants', default='lora,lora+packing,qlora,qlora+packing')
    a = ap.parse_args()
    from transformers.utils import logging as hf_logging
    hf_logging.disable_progress_bar()
    variants = a.variants.split(',')
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d); data = real_slice(a.samples, tmp)
        load0 = os.getloadavg()[0]
        rows = [run_variant(v, data, tmp, a.steps) for v in variants]
        load1 = os.getloadavg()[0]
    base = rows[0]['tokens_per_s']
    print(f"tiny-cpu preset, {a.samples} samples, {a.steps} steps each; load average {load0:.1f} -> {load1:.1f} on {os.cpu_count()} CPUs")
    print(f"{'variant':<15} {'rows':>5} {'tokens':>7} {'train s':>8} {'tokens/s':>9} {'peak RSS GB':>12} {'ratio':>6}")
    for r in rows:
        print(f"{r['variant']:<15} {r['rows']:>5} {r['tokens']:>7} {r['train_s']:>8.1f} {r['tokens_per_s']:>9.1f} "
              f"{r['peak_rss_gb']:>12.2f} {r['tokens_per_s'] / base:>6.2f}")
    print(f"ratios are tokens/s against the baseline '{variants[0]}' in the same process")

if __name__ == '__main__':
    main()
