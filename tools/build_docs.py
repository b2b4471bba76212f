"""Build the documentation site offline into site/ (`make docs`).

Pages, assembled into build/docs/ and rendered by mkdocs (material theme, mkdocs-jupyter, mkdocstrings):
  - the tutorial: nbs/index.ipynb (README.md when the notebook is absent)
  - each module's notebook (nbdev directives stripped, outputs kept) and its API page (signatures and docstrings
    by mkdocstrings, plus each exported function's example: the notebook cell that follows it, with its output)
  - the pipeline notebooks (nbs/pipeline/)
  - the latest demo run: its one-page report (runs/<run>/report/) and its executed pipeline notebooks
Nothing is fetched from the network: no web fonts, no CDN scripts; MathJax is served from Debian's libjs-mathjax
when it is installed (otherwise formulas show as TeX source).

usage: python tools/build_docs.py [--site DIR] [--run RUN_DIR]
"""
from __future__ import annotations
import argparse, ast, re, shutil, subprocess, sys, time
from pathlib import Path
import nbformat, yaml

ROOT = Path(__file__).resolve().parent.parent
NBS, BUILD = ROOT / 'nbs', ROOT / 'build'
MATHJAX = Path('/usr/share/javascript/mathjax')
MATHJAX_PARTS = ['MathJax.js', 'config/TeX-AMS_CHTML-full.js', 'config/TeX-AMS_CHTML.js', 'extensions', 'jax/element',
                 'jax/input/TeX', 'jax/output/CommonHTML', 'fonts/HTML-CSS/TeX/woff', 'localization/en']
DIRECTIVE = re.compile(r'^\s*#\|')


def strip_directives(src: str) -> str:
    "Drop nbdev's `#|` directive lines from a code cell."
    return '\n'.join(l for l in src.splitlines() if not DIRECTIVE.match(l)).strip('\n')


def clean_notebook(src: Path, dst: Path) -> nbformat.NotebookNode:
    "Copy a notebook for the site: directives stripped, hidden and directive-only cells dropped, no widget state."
    nb = nbformat.read(src, as_version=4)
    cells = []
    for c in nb.cells:
        if c.cell_type == 'code':
            if re.search(r'^\s*#\|\s*hide\b', c.source, re.M): continue
            c.source = strip_directives(c.source)
            c.outputs = [o for o in c.get('outputs', []) if 'application/vnd.jupyter.widget-view+json' not in o.get('data', {})]
            if not c.source.strip() and not c.outputs: continue
        cells.append(c)
    nb.cells = cells
    nb.metadata.pop('widgets', None)
    dst.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dst)
    return nb


def module_of(nb_path: Path) -> str | None:
    "The module a notebook exports (`#| default_exp name`), or None."
    m = re.search(r'#\|\s*default_exp\s+(\S+)', nb_path.read_text(encoding='utf-8'))
    return m.group(1).replace('\\n', '').strip('"\',') if m else None


def _defined_names(src: str) -> list[str]:
    "Public top-level functions and classes a cell defines."
    try: tree = ast.parse(strip_directives(src))
    except SyntaxError: return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not n.name.startswith('_')]


def _text_output(cell, limit: int = 1500) -> str:
    parts = [o.get('text', '') if o.get('output_type') == 'stream' else o.get('data', {}).get('text/plain', '')
             for o in cell.get('outputs', [])]
    out = ''.join(p if isinstance(p, str) else ''.join(p) for p in parts).strip()
    return out if len(out) <= limit else out[:limit] + '\n…'


def examples(nb_path: Path) -> list[tuple[list[str], str, str]]:
    "For each exported cell defining public names: (names, the next example cell's code, its text output)."
    cells, out = nbformat.read(nb_path, as_version=4).cells, []
    for i, c in enumerate(cells):
        if c.cell_type != 'code' or not re.search(r'^\s*#\|\s*export', c.source, re.M): continue
        names = _defined_names(c.source)
        nxt = next((d for d in cells[i + 1:i + 4] if d.cell_type == 'code'), None)
        if names and nxt is not None and not re.search(r'^\s*#\|\s*(export|hide)', nxt.source, re.M) and nxt.source.strip():
            out.append((names, strip_directives(nxt.source), _text_output(nxt)))
    return out


def api_page(module: str, nb_path: Path, page: str) -> str:
    "Markdown for a module's API page: mkdocstrings reference plus the notebook's examples."
    lines = [f'# `{module}` API', '', f'Source notebook: [{nb_path.name}](../{page}.html) (prose, examples and tests).', '',
             f'::: wizardcoder_nb.{module}', '']
    exs = examples(nb_path)
    if exs: lines += ['## Examples from the notebook', '']
    for names, code, output in exs:
        lines += [f"### {', '.join(f'`{n}`' for n in names)}", '', '```python', code, '```', '']
        if output: lines += ['```text', output, '```', '']
    return '\n'.join(lines)


def latest_run(runs: Path) -> Path | None:
    "The run directory whose report was built last."
    reports = sorted(runs.glob('*/report/report.html'), key=lambda p: p.stat().st_mtime)
    return reports[-1].parent.parent if reports else None


def add_mathjax(docs: Path) -> str:
    "Copy the parts of Debian's MathJax 2 that notebooks need; the URL notebook pages load it from (never a CDN)."
    if not (MATHJAX / 'MathJax.js').exists():
        (docs / 'assets').mkdir(parents=True, exist_ok=True)
        (docs / 'assets' / 'no-mathjax.js').write_text('// MathJax not installed (Debian: libjs-mathjax): formulas show as TeX\n')
        return 'assets/no-mathjax.js'
    for part in MATHJAX_PARTS:
        src, dst = (MATHJAX / part).resolve(), docs / 'assets' / 'mathjax' / part
        if src.is_dir(): shutil.copytree(src, dst, dirs_exist_ok=True)
        elif src.exists(): dst.parent.mkdir(parents=True, exist_ok=True); shutil.copy(src, dst)
    return 'assets/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe'


def add_index(docs: Path) -> str:
    "The home page: the tutorial notebook, else the README (with the committed `figures/` it shows)."
    if (ROOT / 'figures').is_dir(): shutil.copytree(ROOT / 'figures', docs / 'figures', dirs_exist_ok=True)
    if (NBS / 'index.ipynb').exists():
        clean_notebook(NBS / 'index.ipynb', docs / 'index.ipynb'); return 'index.ipynb'
    text = (ROOT / 'README.md').read_text(encoding='utf-8') if (ROOT / 'README.md').exists() else '# wizardcoder-nb\n'
    (docs / 'index.md').write_text(text, encoding='utf-8'); return 'index.md'


def add_modules(docs: Path) -> tuple[list, list]:
    "Each module notebook as a page, and its API page."
    pages, apis = [], []
    for nb in sorted(NBS.glob('[0-9]*.ipynb')):
        if not (module := module_of(nb)): continue
        page = nb.stem  # notebook pages stay at the top level so that the MathJax URL resolves on every page
        clean_notebook(nb, docs / f'{page}.ipynb')
        (docs / 'api').mkdir(parents=True, exist_ok=True)
        (docs / 'api' / f'{module}.md').write_text(api_page(module, nb, page), encoding='utf-8')
        pages.append({module: f'{page}.ipynb'}); apis.append({module: f'api/{module}.md'})
    return pages, apis


def add_pipeline(docs: Path) -> list:
    "The papermill pipeline notebooks (their parameters cells show the tiny CPU defaults)."
    out = []
    for nb in sorted((NBS / 'pipeline').glob('[0-9]*.ipynb')):
        clean_notebook(nb, docs / f'pipeline_{nb.stem}.ipynb'); out.append({nb.stem: f'pipeline_{nb.stem}.ipynb'})
    return out


def add_demo(docs: Path, run_dir: Path | None) -> list:
    "The latest demo run: its report (copied as static files) and its executed notebooks."
    if run_dir is None:
        (docs / 'demo.md').write_text('# Demo run\n\nNo run report found in `runs/`: run `make demo`, then `make docs`.\n')
        return [{'Demo report': 'demo.md'}]
    shutil.copytree(run_dir / 'report', docs / 'demo' / 'report', dirs_exist_ok=True)
    (docs / 'demo.md').write_text(
        f'# Demo run: `{run_dir.name}`\n\nThe one-page report of the latest run, as `wcnb run` left it in '
        f'`runs/{run_dir.name}/report/`. [Open it on its own page](demo/report/report.html).\n\n'
        '<iframe src="demo/report/report.html" style="width:100%;height:80vh;border:1px solid #ccc"></iframe>\n')
    nav = [{'Demo report': 'demo.md'}]
    for nb in sorted((run_dir / 'notebooks').glob('*.ipynb')):
        clean_notebook(nb, docs / f'demo_{nb.stem}.ipynb'); nav.append({f'executed {nb.stem}': f'demo_{nb.stem}.ipynb'})
    return nav


def build(site: Path, run_dir: Path | None) -> Path:
    "Assemble build/docs, write build/mkdocs.yml, run mkdocs; returns the site's index.html."
    docs = BUILD / 'docs'
    if docs.exists(): shutil.rmtree(docs)
    docs.mkdir(parents=True)
    cfg = yaml.safe_load((ROOT / 'mkdocs.yml').read_text(encoding='utf-8'))
    mathjax = add_mathjax(docs)
    index, (pages, apis), pipeline = add_index(docs), add_modules(docs), add_pipeline(docs)
    demo = add_demo(docs, run_dir)
    cfg.update(docs_dir=str(docs), site_dir=str(site.resolve()),
               nav=[{'Tutorial': index}, {'Modules': pages}, {'API': apis}, {'Pipeline': pipeline}, {'Demo run': demo}])
    for plugin in cfg['plugins']:
        if isinstance(plugin, dict) and 'mkdocs-jupyter' in plugin:
            plugin['mkdocs-jupyter'].update(custom_mathjax_url=mathjax, cache_dir=str(BUILD / '.cache' / 'mkdocs-jupyter'))
        if isinstance(plugin, dict) and 'mkdocstrings' in plugin:
            plugin['mkdocstrings']['handlers']['python']['paths'] = [str(ROOT)]
    (BUILD / 'mkdocs.yml').write_text(yaml.safe_dump(cfg, sort_keys=False), encoding='utf-8')
    r = subprocess.run([sys.executable, '-m', 'mkdocs', 'build', '--clean', '-q', '-f', str(BUILD / 'mkdocs.yml')],
                       cwd=ROOT, capture_output=True, text=True)
    if r.returncode: sys.exit(f'mkdocs build failed:\n{r.stdout}\n{r.stderr}')
    return site / 'index.html'


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--site', type=Path, default=ROOT / 'site', help='output folder (default: site/)')
    ap.add_argument('--run', type=Path, default=None, help='run directory to show as the demo (default: the latest in runs/)')
    a = ap.parse_args(argv)
    t0 = time.time()
    index = build(a.site, a.run or latest_run(ROOT / 'runs'))
    print(f'site built in {time.time() - t0:.0f} s: {index}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
