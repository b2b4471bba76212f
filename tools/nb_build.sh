#!/usr/bin/env bash
# Author a notebook from a jupytext percent-format draft, run it to record outputs, clean it, export the package.
# usage: tools/nb_build.sh DRAFT.py nbs/NN_name.ipynb [--no-exec]
# The .ipynb is the source of truth; the draft is scratch (keep it outside the repo, e.g. /tmp).
# To edit an existing notebook: .venv/bin/jupytext --to py:percent nbs/NN_name.ipynb -o /tmp/NN_name.py, edit, rerun this.
set -euo pipefail
draft=$1; nb=$2; mode=${3:-}
root=$(cd "$(dirname "$0")/.." && pwd)
V=$root/.venv/bin
$V/jupytext --quiet --to ipynb "$draft" -o "$nb"
$V/python - "$nb" <<'PY'
import sys, nbformat
nb = nbformat.read(sys.argv[1], as_version=4)
nb.metadata['kernelspec'] = {'display_name': 'Python 3', 'language': 'python', 'name': 'python3'}
nb.metadata.pop('jupytext', None)
nbformat.write(nb, sys.argv[1])
PY
if [ "$mode" != "--no-exec" ]; then
  (cd "$(dirname "$nb")" && $V/jupyter nbconvert --to notebook --execute --inplace --ExecutePreprocessor.timeout=1800 "$(basename "$nb")")
fi
$V/nbdev_clean --fname "$nb"
(cd "$root" && $V/nbdev_export --path "$nb")
echo "built $nb"
