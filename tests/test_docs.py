"""The documentation site: built offline by tools/build_docs.py, then opened in headless Chromium.

Checks that the index renders (screenshot saved in the test's tmp dir, path printed), that every module's API page
renders its functions (from the DOM after scripts ran), that the charts page and the demo run's report render
(screenshots), and that loading pages makes no network request other than Chromium's own background services.
"""
import json, re, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
# requests Chromium makes by itself, whatever page it shows; anything else would be the site reaching out
BROWSER_HOSTS = re.compile(r'^https?://([a-z0-9-]+\.)*(google\.com|googleapis\.com|gvt1\.com|gstatic\.com|chromium\.org)(:\d+)?/')
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
         '--disable-sync', '--no-first-run', '--window-size=1280,900']

needs_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                    reason='Debian chromium is not installed (make toolchains)')


def chromium(args: list[str], profile: Path, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, *FLAGS, f'--user-data-dir={profile}', *args], capture_output=True, text=True,
                          timeout=timeout)


def module_names() -> list[str]:
    return sorted(m.group(1) for nb in (ROOT / 'nbs').glob('[0-9]*.ipynb')
                  if (m := re.search(r'#\|\s*default_exp\s+(\w+)', nb.read_text(encoding='utf-8'))))


def check_pages(site: Path, modules: list[str]):
    assert (site / 'index.html').exists() and (site / 'demo.html').exists()
    for mod in modules: assert (site / 'api' / f'{mod}.html').exists(), mod
    for nb in (ROOT / 'nbs' / 'pipeline').glob('[0-9]*.ipynb'):
        assert (site / f'pipeline_{nb.stem}.html').exists(), nb.name


def check_no_remote_scripts_or_styles(site: Path):
    "Every <script src> and stylesheet <link> points inside the site."
    bad = []
    for page in site.rglob('*.html'):
        text = page.read_text(encoding='utf-8', errors='replace')
        bad += [(page.name, u) for u in re.findall(r'<script[^>]+src="(https?://[^"]+)"', text)]
        bad += [(page.name, u) for u in re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="(https?://[^"]+)"', text)]
    assert not bad, bad[:10]


def check_index_in_chromium(site: Path, tmp: Path):
    "Screenshot of the index (path printed); no request leaves the machine except Chromium's own."
    shot, netlog = tmp / 'index.png', tmp / 'net.json'
    r = chromium([f'--screenshot={shot}', f'--log-net-log={netlog}', (site / 'index.html').as_uri()], tmp / 'profile')
    assert shot.exists() and shot.stat().st_size > 10_000, r.stderr[-2000:]
    print(f'\nscreenshot of the docs index: {shot}')
    urls = set(re.findall(r'"url":"(https?://[^"]+)"', netlog.read_text(errors='replace')))
    assert not [u for u in urls if not BROWSER_HOSTS.match(u)], urls
    dom = chromium(['--dump-dom', (site / 'index.html').as_uri()], tmp / 'profile').stdout
    assert 'wizardcoder-nb' in dom and 'API' in dom, dom[:1000]


def api_members(html: str, mod: str) -> list[str]:
    return re.findall(r'id="wizardcoder_nb\.%s\.(\w+)"' % mod, html)


def check_api_pages(site: Path, modules: list[str], tmp: Path):
    "Every API page lists its module's documented members; a few are also loaded in Chromium (DOM after scripts)."
    for mod in modules:
        assert api_members((site / 'api' / f'{mod}.html').read_text(encoding='utf-8'), mod), f'no API members for {mod}'
    # one browser start costs seconds on 2 cores: load the first module and the report/run pages in Chromium
    for mod in dict.fromkeys([modules[0], *[m for m in ('report', 'run') if m in modules]]):
        dom = chromium(['--dump-dom', (site / 'api' / f'{mod}.html').as_uri()], tmp / 'profile').stdout
        assert f'{mod}</code> API' in dom and api_members(dom, mod), (mod, dom[:500])


def check_report_pages_in_chromium(site: Path, tmp: Path):
    "Screenshots (paths printed) of the charts notebook page and, when the site has a demo run, its report page."
    pages = [('charts', site / '61_charts.html', 'marks')]
    demo = site / 'demo' / 'report' / 'report.html'
    if demo.exists(): pages.append(('demo-report', demo, 'pass@1'))
    else: print('\nno demo run in runs/: the demo report page is not in this site')
    for name, page, text in pages:
        shot = tmp / f'{name}.png'
        r = chromium([f'--screenshot={shot}', page.as_uri()], tmp / 'profile')
        assert shot.exists() and shot.stat().st_size > 10_000, r.stderr[-2000:]
        print(f'\nscreenshot of {name}: {shot}')
        assert text in chromium(['--dump-dom', page.as_uri()], tmp / 'profile').stdout, name


def test_build_docs_examples():
    "API pages carry each exported function's example: the notebook cell right after it, with its output."
    sys.path.insert(0, str(ROOT / 'tools'))
    import build_docs
    exs = build_docs.examples(ROOT / 'nbs' / '00_core.ipynb')
    names = [n for ns, _, _ in exs for n in ns]
    assert 'read_jsonl' in names, names
    assert all('#|' not in code for _, code, _ in exs)
    assert build_docs.strip_directives('#| export\nx = 1') == 'x = 1'


# one test builds the site (about a minute) and checks it, so that pytest-xdist never builds it twice
@needs_chromium
def test_docs_site(tmp_path):
    modules = module_names()
    site = tmp_path / 'site'
    r = subprocess.run([sys.executable, 'tools/build_docs.py', '--site', str(site)], cwd=ROOT, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    print(r.stdout.strip())
    check_pages(site, modules)
    check_no_remote_scripts_or_styles(site)
    check_index_in_chromium(site, tmp_path)
    check_api_pages(site, modules, tmp_path)
    check_report_pages_in_chromium(site, tmp_path)
