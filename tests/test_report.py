"""The report rooms on real evaluations: two runs standing for two base models (each a base and a fine-tuned model
judged by `evaluate` in the sandbox on the first 12 HumanEval problems) end in one comparative report (`wcnb compare`):
Table 1 with every base model, both pass@1 with intervals, the paired difference and McNemar's test on the same
problems. The pages are opened in headless Chromium and captured (paths printed): the subset warning must be on the
picture and on the page, and published numbers marked as such."""
import json, shutil, subprocess
from pathlib import Path
import pytest
from wizardcoder_nb.core import write_jsonl
from wizardcoder_nb.data import load_benchmark

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--window-size=1280,2000']


def _judged_run(root: Path, name: str, model: str, base_ok: set, tuned_ok: set) -> Path:
    "A run dir: base and fine-tuned samples are canonical solutions (where `*_ok`) or a wrong body, judged for real."
    from wizardcoder_nb.evaluate import evaluate_samples
    probs = load_benchmark('humaneval')[:12]
    run = root / 'runs' / name
    for tag, ok in [('base', base_ok), ('wizardcoder', tuned_ok)]:
        d = run / 'eval' / 'humaneval' / tag
        write_jsonl(d / 'samples.jsonl',
                    [dict(task_id=p.task_id, completion=p.canonical_solution if i in ok else '    return None\n')
                                          for i, p in enumerate(probs)])
        evaluate_samples('humaneval', d / 'samples.jsonl', d, ks=[1])
    (run / 'run.json').write_text(json.dumps(dict(run=name, config=dict(train=dict(model=model)),
                                                  variants=[dict(tag='wizardcoder', rounds=[0, 1, 2, 3],
                                                                 label='rounds 0–3')])))
    return run


@pytest.fixture(scope='module')
def two_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp('sweep')
    a = _judged_run(root, 'sweep-embedded', 'embedded', set(range(4)), set(range(11)))      # +7 problems, none lost
    b = _judged_run(root, 'sweep-stand-in', 'tiny-stand-in', set(range(6)), {0, 1, 2, 3, 4, 6})  # one lost, one gained
    return root, a, b


def _shot(page: Path, png: Path) -> str:
    "Screenshot of a page in headless Chromium (path printed); returns the DOM after scripts ran."
    prof = png.parent / f'{png.stem}-profile'
    r = subprocess.run([CHROMIUM, *FLAGS, f'--user-data-dir={prof}', f'--screenshot={png}', page.as_uri()],
                       capture_output=True, text=True, timeout=120)
    assert png.exists() and png.stat().st_size > 10_000, r.stderr[-2000:]
    print(f'\nscreenshot: {png}')
    return subprocess.run([CHROMIUM, *FLAGS, f'--user-data-dir={prof}', '--dump-dom', page.as_uri()],
                          capture_output=True, text=True,
                          timeout=120).stdout


def test_comparative_report_over_two_base_models(two_runs, wcnb_exe):
    root, a, b = two_runs
    r = subprocess.run([wcnb_exe, 'compare', str(a), str(b), '--out', str(root / 'cmp')], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    rows = {x['base_model']: x for x in json.loads((root / 'cmp' / 'comparison.json').read_text())['rows']}
    ea, eb = rows['embedded'], rows['tiny-stand-in']
    assert (round(ea['base']['pass1'] * 12), round(ea['tuned']['pass1'] * 12)) == (4, 11)   # the sandbox's verdicts
    assert (ea['paired']['n'], ea['paired']['b_only'], ea['paired']['a_only']) == (12, 7, 0)
    assert abs(ea['paired']['p'] - 2 / 2 ** 7) < 1e-12 and ea['paired']['lo'] > 0  # McNemar exact: 7 discordant
    assert (eb['paired']['b_only'], eb['paired']['a_only'], eb['paired']['p']) == (1, 1, 1.0)
    assert ea['base']['tasks'] == 12 and ea['base']['benchmark_tasks'] == 164
    svg = (root / 'cmp' / 'figures' / 'compare_humaneval.svg').read_text()
    assert 'not a benchmark score' in svg and '12 of 164 problems' in svg and 'p=0.016' in svg


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason='Debian chromium is not installed (make toolchains)')
def test_report_pages_render_with_their_subset_marks(two_runs, tmp_path):
    from wizardcoder_nb.compare import build_comparison
    from wizardcoder_nb.report import build_report
    root, a, b = two_runs
    page = build_report(a)
    dom = _shot(page, tmp_path / 'report.png')
    assert 'measured on a subset of HumanEval' in dom and 'published' in dom and '12 of 164 problems (subset)' in dom
    dom = _shot(build_comparison([a, b], tmp_path / 'cmp'), tmp_path / 'comparison.png')
    assert 'tiny-stand-in' in dom and 'McNemar exact' in dom and 'compare_humaneval.svg' in dom
