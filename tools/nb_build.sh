#!/usr/bin/env bash
# Author a notebook from a jupytext percent-format draft, run it to record outputs, clean it, export the package.
# usage: tools/nb_build.sh DRAFT.py nbs/NN_name.ipynb [--no-exec]
# The .ipynb is the source of truth; the draft is scratch (keep it outside the repo, e.g. /tmp).
# To edit an existing notebook: .venv/bin/jupytext --to py:percent nbs/NN_name.ipynb -o /tmp/NN_name.py, edit, rerun this.
# Cell ids of cells that kept their place (same or edited source) and the outputs of unchanged cells are carried over
# (jupytext --update), so diffs and merges stay small and --no-exec keeps the recorded outputs of slow cells.
set -euo pipefail
draft=$1; nb=$2; mode=${3:-}
root=$(cd "$(dirname "$0")/.." && pwd)
V=$root/.venv/bin
old=$(mktemp); [ -f "$nb" ] && cp "$nb" "$old" || echo '' > "$old"
if [ -f "$nb" ]; then $V/jupytext --quiet --update --to ipynb "$draft" -o "$nb"; else $V/jupytext --quiet --to ipynb "$draft" -o "$nb"; fi
$V/python - "$nb" "$old" <<'PY'
import sys, difflib, nbformat
nb = nbformat.read(sys.argv[1], as_version=4)
nb.metadata['kernelspec'] = {'display_name': 'Python 3', 'language': 'python', 'name': 'python3'}
nb.metadata.pop('jupytext', None)
try: old = nbformat.read(sys.argv[2], as_version=4).cells
except Exception: old = []
key = lambda c: (c.cell_type, c.source)
sm = difflib.SequenceMatcher(a=[key(c) for c in old], b=[key(c) for c in nb.cells], autojunk=False)
for tag, a0, a1, b0, b1 in sm.get_opcodes():
    if tag == 'equal' or (tag == 'replace' and a1 - a0 == b1 - b0):
        for i, j in zip(range(a0, a1), range(b0, b1)):
            if old[i].cell_type == nb.cells[j].cell_type and 'id' in old[i]: nb.cells[j]['id'] = old[i]['id']
nbformat.write(nb, sys.argv[1])
PY
rm -f "$old"
if [ "$mode" != "--no-exec" ]; then
  (cd "$(dirname "$nb")" && $V/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=1800 "$(basename "$nb")")
fi
$V/nbdev_clean --fname "$nb"
(cd "$root" && $V/nbdev_export --path "$nb")
echo "built $nb"
