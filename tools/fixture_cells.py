"""The notebook cells that need a restricted fixture (flag `#| fixtures`), and the files they name.

`make test` runs the notebooks once without fixtures, where nbdev_test skips these cells; this prints each skipped cell
with the file it needs, so the log says why. `--notebooks` prints only the notebooks that hold such cells (the ones
the fixtures pass runs again)."""
import re, sys
from pathlib import Path
import nbformat

ROOT = Path(__file__).resolve().parent.parent
FLAG = re.compile(r'^#\|\s*fixtures\s*$', re.M)
OTHER_SKIPS = re.compile(r'^#\|\s*(slow|gpu|notest)\s*$', re.M)  # cells make test never runs anyway
NAMED = re.compile(r"fixture_file\(\s*['\"]([^'\"]+)['\"]")

def fixture_cells(nbs: Path = ROOT / 'nbs'):
    "Yield (notebook, cell index, files named, also skipped for another flag) for every cell flagged `#| fixtures`."
    for nb_path in sorted(nbs.rglob('*.ipynb')):
        if '.ipynb_checkpoints' in nb_path.parts: continue
        for i, cell in enumerate(nbformat.read(nb_path, as_version=4).cells):
            if cell.cell_type == 'code' and FLAG.search(cell.source):
                files = list(dict.fromkeys(NAMED.findall(cell.source)))
                yield nb_path.relative_to(ROOT), i, files, bool(OTHER_SKIPS.search(cell.source))

def main() -> int:
    cells = list(fixture_cells())
    if '--notebooks' in sys.argv:
        print(' '.join(sorted({str(nb) for nb, _, _, other in cells if not other}))); return 0
    for nb, i, files, other in cells:
        if other: continue
        print(f"skipped without restricted fixtures: {nb} cell {i}" + (f" (needs {', '.join(files)})" if files else
                                                                        ' (uses a fixture read in an earlier cell)'))
    return 0

if __name__ == '__main__': sys.exit(main())
