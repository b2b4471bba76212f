"""CI gate: fail if `nbdev_clean` or `nbdev_export` would change a file under nbs/ or wizardcoder_nb/.

Runs both tools, compares file contents before and after (works with or without uncommitted edits), restores
nothing: a failing check leaves the cleaned/exported files in place so `git diff` shows what to commit.
"""
import hashlib, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WATCHED = ['nbs', 'wizardcoder_nb']

def snapshot() -> dict[str, str]:
    files = [p for d in WATCHED for p in (ROOT/d).rglob('*') if p.is_file() and '__pycache__' not in p.parts
             and '.ipynb_checkpoints' not in p.parts]
    return {str(p.relative_to(ROOT)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}

def main() -> int:
    bin_dir = Path(sys.executable).parent
    before = snapshot()
    for tool in ['nbdev_clean', 'nbdev_export']:
        r = subprocess.run([str(bin_dir/tool)], cwd=ROOT, capture_output=True, text=True)
        if r.returncode: print(f'{tool} failed:\n{r.stdout}{r.stderr}'); return 1
    after = snapshot()
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if changed:
        print('Notebooks and package are not in step; nbdev_clean/nbdev_export changed:')
        for c in changed: print('  ', c)
        print('Run `make export` and commit nbs/ and wizardcoder_nb/ together.')
        return 1
    print(f'notebooks clean and package in step ({len(after)} files checked)')
    return 0

if __name__ == '__main__': sys.exit(main())
