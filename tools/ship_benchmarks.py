"""Rebuild `wizardcoder_nb/resources/benchmarks/` (the redistributable benchmark files the package ships) from a folder
in the shared layout, e.g. `python tools/ship_benchmarks.py ../shared/data`.

Each file is copied byte for byte, gzip-compressed where upstream ships it plain; `MANIFEST.json` records upstream,
version, licence and three checksums (upstream file, content, shipped file) and each folder gets a `SOURCE.md`.
Licence texts (`LICENSE` per folder) are kept as they are. Restricted data (model outputs, CC BY-NC) is never listed."""
import gzip, hashlib, json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / 'wizardcoder_nb' / 'resources' / 'benchmarks'
MAX_BYTES = 2 << 20  # no shipped file over 2 MiB
DS = 'deepseek-ai/DeepSeek-Coder@2f9fd85927c669dae3c0fbb2d607274023af243e'
FOLDERS = {
    'humanevalplus': dict(name='HumanEval+ (EvalPlus)', version='v0.1.10', licence='Apache-2.0 (HumanEval: MIT)',
                          upstream='evalplus/humanevalplus_release@200defce9e3429d28ca215b6dd061c0f7f31c18b (tag v0.1.10)',
                          files=['HumanEvalPlus.jsonl.gz']),
    'mbppplus': dict(name='MBPP+ (EvalPlus)', version='v0.2.0', licence='Apache-2.0 (MBPP: CC BY 4.0)',
                     upstream='evalplus/mbppplus_release@dadf43da556a00f7bacd71cb154f2932757d9144 (data = tag v0.2.0)',
                     files=['MbppPlus.jsonl.gz']),
    'mbpp': dict(name='MBPP, full (974 tasks: prompt 1-10, test 11-510, validation 511-600, train 601-974)',
                 version='google-research mbpp (2021)', licence='CC BY 4.0',
                 upstream=f'{DS} Evaluation/MBPP/data/mbpp.jsonl (a byte copy of google-research mbpp/mbpp.jsonl)',
                 files=['mbpp.jsonl']),
    'ds1000': dict(name='DS-1000 ("simplified" 2024 release, 1,000 problems)', version='xlang-ai/DS-1000@b39aab71',
                   licence='CC BY-SA 4.0', files=['ds1000.jsonl.gz'],
                   upstream='xlang-ai/DS-1000@b39aab71da6d23ef8d3cac59a7c5f834516ab334 data/ds1000.jsonl.gz'),
    'multipl-e': dict(name='MultiPL-E HumanEval translations (reworded prompts, 18 languages)',
                      version='MultiPL-E rows as of 2023-11-02',
                      licence='BSD-3-Clause with Machine Learning Restriction (never use as training data)',
                      upstream=f'{DS} Evaluation/HumanEval/data/humaneval-<lang>.jsonl', files=['humaneval-*.jsonl']),
}

def sha(b: bytes) -> str: return hashlib.sha256(b).hexdigest()

def ship(src: Path, folder: str, name: str) -> dict:
    "Copy one upstream file into the package (compressed) and return its manifest entry."
    raw_file = src.read_bytes()
    content = gzip.decompress(raw_file) if name.endswith('.gz') else raw_file
    shipped = raw_file if name.endswith('.gz') else gzip.compress(raw_file, 9, mtime=0)
    out = OUT / folder / (name if name.endswith('.gz') else name + '.gz')
    assert len(shipped) <= MAX_BYTES, f'{out}: {len(shipped)} bytes is over 2 MiB'
    out.parent.mkdir(parents=True, exist_ok=True); out.write_bytes(shipped)
    return dict(upstream_file=name, sha256_upstream_file=sha(raw_file), sha256_content=sha(content),
                sha256_shipped=sha(shipped), bytes_shipped=len(shipped), lines=content.count(b'\n'))

def source_md(info: dict, entries: dict) -> str:
    rows = '\n'.join(f"| `{k.split('/')[-1]}` | `{e['upstream_file']}` | {e['lines']} | `{e['sha256_upstream_file']}` |"
                     for k, e in entries.items())
    return (f"# {info['name']}\n\n- Upstream: {info['upstream']}\n- Version: {info['version']}\n"
            f"- Licence: {info['licence']} (`LICENSE` beside this file)\n"
            "- Changes: none to the content; files upstream ships plain are gzip-compressed here (the decompressed bytes\n"
            "  equal the upstream file: `MANIFEST.json` holds its sha256 as `sha256_content`).\n\n"
            "| shipped file | upstream file | lines | sha256 of the upstream file |\n|---|---|---|---|\n" + rows + '\n')

def main(src_root: Path) -> int:
    manifest = {}
    for folder, info in FOLDERS.items():
        srcs = sorted(p for pat in info['files'] for p in (src_root / folder).glob(pat))
        entries = {}
        for p in srcs:
            e = ship(p, folder, p.name)
            entries[f"{folder}/{p.name if p.name.endswith('.gz') else p.name + '.gz'}"] = dict(
                e, licence=info['licence'], upstream=info['upstream'], version=info['version'])
        (OUT / folder / 'SOURCE.md').write_text(source_md(info, entries)); manifest.update(entries)
    (OUT / 'MANIFEST.json').write_text(json.dumps(manifest, indent=1, sort_keys=True) + '\n')
    print(f'{len(manifest)} files shipped in {OUT}'); return 0

if __name__ == '__main__': sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT.parent / 'shared' / 'data')))
