#!/usr/bin/env python
"""Execute a notebook's cells except those flagged slow/gpu/notest, in order, keeping the recorded outputs of the
skipped ones: for notebooks whose slow cells need long runs, when only fast cells changed.
usage: tools/nb_run_fast.py nbs/NN_name.ipynb"""
import re, sys
from pathlib import Path
import nbformat
from nbclient import NotebookClient

SKIP = re.compile(r'^#\|\s*(slow|gpu|notest)\b', re.M)

def run_fast(path: Path):
    nb = nbformat.read(path, as_version=4)
    skipped = {i: c for i, c in enumerate(nb.cells) if c.cell_type == 'code' and SKIP.search(c.source)}
    for i, c in skipped.items(): nb.cells[i] = nbformat.v4.new_markdown_cell('')  # placeholders keep positions
    NotebookClient(nb, timeout=1800, kernel_name='python3', resources={'metadata': {'path': str(path.parent)}}).execute()
    for i, c in skipped.items(): nb.cells[i] = c
    nbformat.write(nb, path)

if __name__ == '__main__': run_fast(Path(sys.argv[1]))
