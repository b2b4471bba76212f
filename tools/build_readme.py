"""README.md is generated from nbs/index.ipynb (the tutorial page of the docs site): markdown cells verbatim,
code cells as ```python blocks with their text outputs. `--check` fails if README.md is out of step."""
import sys
from pathlib import Path
import nbformat

ROOT = Path(__file__).resolve().parent.parent
HEADER = '<!-- generated from nbs/index.ipynb by tools/build_readme.py: edit the notebook, not this file -->\n'

def render(nb_path: Path = ROOT/'nbs'/'index.ipynb') -> str:
    nb = nbformat.read(nb_path, as_version=4)
    parts = []
    for cell in nb.cells:
        src = cell.source.strip()
        if not src or src.startswith('#|') and all(l.startswith('#|') for l in src.splitlines()): continue
        if cell.cell_type == 'markdown': parts.append(src)
        elif cell.cell_type == 'code':
            code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|'))
            parts.append(f'```python\n{code}\n```')
            outs = [o.get('text', '') or o.get('data', {}).get('text/plain', '') for o in cell.get('outputs', [])]
            if out := ''.join(outs).strip(): parts.append(f'```\n{out}\n```')
    # the README must begin with the two commands: the notebook's first cell holds them, the marker goes last
    return '\n\n'.join(parts) + '\n\n' + HEADER

def main():
    text = render()
    if '--check' in sys.argv:
        if (ROOT/'README.md').read_text(encoding='utf-8') != text:
            print('README.md is out of step with nbs/index.ipynb: run `python tools/build_readme.py`'); return 1
        print('README.md in step with nbs/index.ipynb'); return 0
    (ROOT/'README.md').write_text(text, encoding='utf-8'); print('wrote README.md'); return 0

if __name__ == '__main__': sys.exit(main())
