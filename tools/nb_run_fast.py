#!/usr/bin/env python
"""Execute a notebook's cells except those flagged slow/gpu/notest, in order, keeping the recorded outputs of the
skipped ones: for notebooks whose slow cells need long runs, when only fast cells changed. `--also REGEX` runs the
slow cells whose source matches REGEX too (to record one slow section without rerunning the others).
usage: tools/nb_run_fast.py nbs/NN_name.ipynb [--also REGEX]"""
import re, sys
from pathlib import Path
import nbformat
from nbclient import NotebookClient

SKIP = re.compile(r'^#\|\s*(slow|gpu|notest)\b', re.M)

def run_fast(path: Path, also: str | None = None):
    nb = nbformat.read(path, as_version=4)
    skipped = {i: c for i, c in enumerate(nb.cells)
               if c.cell_type == 'code' and SKIP.search(c.source) and not (also and re.search(also, c.source))}
    for i, c in skipped.items(): nb.cells[i] = nbformat.v4.new_markdown_cell('')  # placeholders keep positions
    NotebookClient(nb, timeout=1800, kernel_name='python3', resources={'metadata': {'path': str(path.parent)}}).execute()
    for i, c in skipped.items(): nb.cells[i] = c
    nbformat.write(nb, path)

if __name__ == '__main__':
    run_fast(Path(sys.argv[1]), sys.argv[sys.argv.index('--also') + 1] if '--also' in sys.argv else None)
