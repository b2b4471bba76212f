"""Decontamination: every retrieved match reaches the judge, a failing judge ends the run fast and loudly, cached verdicts
never cross servers, and input errors name their file, line or field.

The planted set (`decontam.planted_rows()`: 40 rewritten HumanEval/MBPP items in five styles and 40 clean near-misses)
is judged here by an *oracle*: a real OpenAI-compatible server on 127.0.0.1 that answers YES only for the true pairs.
So the test measures the pipeline around the judge (retrieval, lexical checks, fail-closed decisions), not a model.
Judging by execution is tested the same way: a local server plays a judge that writes right solutions for the true rows
and wrong or hostile ones otherwise, and the items' own tests decide in the sandbox. The embedded model as judge is
measured in `nbs/40_decontam.ipynb` on both planted splits; its test here runs only with WCNB_SLOW_TESTS=1.
"""
import json, os, re, sys, time
from pathlib import Path
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from openai_fault_server import FaultServer
from wizardcoder_nb import decontam as d, llm
from wizardcoder_nb.core import Instruction, WcnbError, write_jsonl

# --- an oracle judge: a real local server that knows the planted truth ---

class OracleServer(FaultServer):
    "Answers YES when the two tasks of a judge request (either order) are a planted true pair, NO otherwise."
    def __init__(self, truth: dict, **kw):
        super().__init__(**kw); self.truth = truth  # {(card text, row text)}

    def _reply(self, req, chat, prompt):
        r = super()._reply(req, chat, prompt)
        m = re.match(r'A: (.*)\nB: (.*)\Z', prompt, re.S)
        same = bool(m) and ((m[1], m[2]) in self.truth or (m[2], m[1]) in self.truth)
        r['choices'][0]['message']['content'] = 'YES' if same else 'NO'
        return r

@pytest.fixture(scope='module')
def planted_truth():
    cfg = d.DecontamConfig(judge=None)
    cards = {p.task_id: d.describe(p)[:cfg.judge_max_chars] for p in d.load_problems(cfg)}
    rows = d.planted_rows()
    truth = {(cards[r['truth']], d.row_task(Instruction(**r))[:cfg.judge_max_chars]) for r in rows if r['truth']}
    return rows, truth

def _judge(url: str, tmp: Path, **kw) -> dict:
    return dict(spec='openai:judge-model', base_url=url, cache_path=str(tmp / 'llm.sqlite'), progress=False, **kw)

@pytest.fixture(scope='module')
def oracle_run(planted_truth, tmp_path_factory):
    rows, truth = planted_truth
    tmp = tmp_path_factory.mktemp('oracle')
    write_jsonl(tmp / 'train.jsonl', rows)
    with OracleServer(truth) as url:
        audit = d.decontaminate(d.DecontamConfig(judge=_judge(url, tmp)), tmp / 'train.jsonl', tmp)
    pairs = [json.loads(l) for l in (tmp / 'decontam' / 'pairs.jsonl').read_text().splitlines()]
    return dict(rows=rows, audit=audit, pairs=pairs, dir=tmp)

def test_every_retrieved_true_pair_reaches_the_judge(oracle_run):
    rows, pairs = oracle_run['rows'], oracle_run['pairs']
    s = d.planted_scores(rows, pairs, {})
    print('\n' + json.dumps({k: {x: v[x] for x in ('rows', 'candidates', 'removed')} for k, v in s['styles'].items()}))
    assert s['candidate_recall'] >= 0.95, s
    assert s['styles']['near-miss']['removed'] == 0, s   # the oracle says NO: nothing else may remove a near-miss
    # a true pair that reached the judge (or a lexical check) is removed: the oracle says YES to it
    assert s['recall'] == s['candidate_recall'], s

def test_no_pair_is_kept_unjudged(oracle_run):
    decided = {p['decided_by'] for p in oracle_run['pairs']}
    assert decided <= {'lexical', 'threshold', 'judge', 'row-removed'}, decided
    judged = [p for p in oracle_run['pairs'] if p['decided_by'] == 'judge']
    assert judged and all(p['judge']['answers'] for p in judged)
    assert oracle_run['audit']['kept_unjudged'] == 0 and oracle_run['audit']['judge_errors'] == 0

def test_removed_rows_say_who_decided(oracle_run):
    removed = [json.loads(l) for l in (oracle_run['dir'] / 'decontam' / 'removed.jsonl').read_text().splitlines()]
    assert len(removed) == oracle_run['audit']['removed'] > 0
    for r in removed:
        for e in r['decontam']['evidence']:
            assert {'benchmark', 'task_id', 'similarity', 'rank', 'reverse_rank', 'decided_by'} <= set(e), e
            assert e['decided_by'] in ('lexical', 'threshold', 'judge', 'judge-error', 'over-budget'), e
    by = {e['decided_by'] for r in removed for e in r['decontam']['evidence']}
    assert {'lexical', 'judge'} <= by, by   # renamed/solution-only rows are copies; the rest the judge recognised

def test_clean_plus_removed_is_the_input(oracle_run):
    kept = (oracle_run['dir'] / 'train.clean.jsonl').read_text().count('\n')
    assert kept + oracle_run['audit']['removed'] == len(oracle_run['rows'])
    a = oracle_run['dir'] / 'decontam'
    assert '| humaneval |' in (a / 'audit.md').read_text() and '<table>' in (a / 'audit.html').read_text()

def test_over_budget_pairs_are_removed_and_counted(planted_truth, tmp_path):
    rows, truth = planted_truth
    write_jsonl(tmp_path / 'train.jsonl', rows[:10] + rows[-10:])
    with OracleServer(truth) as url:
        a = d.decontaminate(d.DecontamConfig(judge=_judge(url, tmp_path), judge_max_pairs=3), tmp_path / 'train.jsonl', tmp_path)
    pairs = [json.loads(l) for l in (tmp_path / 'decontam' / 'pairs.jsonl').read_text().splitlines()]
    over = [p for p in pairs if p['decided_by'] == 'over-budget']
    assert over and all(p['contaminated'] for p in over) and a['removed_by_reason'].get('over-budget')
    assert a['pairs_judged'] == 3

# --- judging by execution: the judge writes the row's solution, the item's own tests decide ---

class SolverServer(FaultServer):
    """Answers a solve request with `solve(task)`'s code (a fenced block), and YES/NO requests with NO."""
    def __init__(self, solve, **kw): super().__init__(**kw); self.solve = solve

    def _reply(self, req, chat, prompt):
        r = super()._reply(req, chat, prompt)
        m = re.match(r'Task:\n(.*)\n\nWrite the function', prompt, re.S)
        r['choices'][0]['message']['content'] = f"```python\n{self.solve(m[1])}\n```" if m else 'NO'
        return r

@pytest.fixture(scope='module')
def planted_solutions():
    "{row task: the reference solution of the row's true item} for the planted set's true rows."
    cfg = d.DecontamConfig(judge=None)
    problems = {p.task_id: p for p in d.load_problems(cfg)}
    ref = lambda p: p.prompt + p.canonical_solution if p.benchmark == 'humaneval' else p.canonical_solution
    return {d.row_task(Instruction(**r))[:cfg.judge_max_chars]: ref(problems[r['truth']]) for r in d.planted_rows() if r['truth']}

def _execute_run(tmp: Path, solve, rows=None, **cfg) -> tuple[dict, list[dict], list[dict]]:
    rows = rows or d.planted_rows()
    write_jsonl(tmp / 'train.jsonl', rows)
    with SolverServer(solve) as url:
        audit = d.decontaminate(d.DecontamConfig(judge=_judge(url, tmp), judge_mode='execute', **cfg), tmp / 'train.jsonl', tmp)
    return audit, rows, [json.loads(l) for l in (tmp / 'decontam' / 'pairs.jsonl').read_text().splitlines()]

def test_execute_mode_removes_what_a_right_solution_passes_and_no_near_miss(planted_solutions, tmp_path):
    wrong = 'def solution(*args):\n    return None'   # what a solver that misunderstood writes: the item's tests fail it
    audit, rows, pairs = _execute_run(tmp_path, lambda task: planted_solutions.get(task, wrong), judge_attempts=1,
                                      judge_strong_tests=0)   # every pass acts: the oracle's solutions are right
    s = d.planted_scores(rows, pairs, {})
    assert s['candidate_recall'] >= 0.95 and s['recall'] == s['candidate_recall'], s
    assert s['styles']['near-miss']['removed'] == 0, s
    judged = [p for p in pairs if p['decided_by'] == 'judge']
    assert judged and all(p['judge']['how'] == 'execute' and p['judge']['answers'][0].startswith('attempt 1: ') for p in judged)
    assert audit['judge_report']['mode'] == 'execute' and audit['judge_errors'] == 0

def test_execute_mode_a_far_pass_on_weak_tests_is_recorded_not_acted_on(planted_solutions, tmp_path):
    "A right solution for an item that is not the row's nearest, on MBPP's three asserts, does not remove the row."
    wrong = 'def solution(*args):\n    return None'
    audit, rows, pairs = _execute_run(tmp_path, lambda task: planted_solutions.get(task, wrong), judge_attempts=1)
    far = [p for p in pairs if p['decided_by'] == 'judge-not-nearest']
    assert far and all(p['reverse_rank'] != 1 and p['judge']['checks'] < 5 and not p['contaminated'] for p in far)
    acted = [p for p in pairs if p['decided_by'] == 'judge' and p['contaminated']]
    assert acted and all(p['reverse_rank'] == 1 or p['judge']['checks'] >= 5 for p in acted)

HOSTILE_SOLUTIONS = {   # code a judge model might write that must never count as a pass
    'exits 0 early': 'import sys\nsys.exit(0)',
    'os._exit(0)': 'import os\nos._exit(0)',
    'prints a pass': "print('passed')\ndef solution(*a):\n    return None",
    'always-equal object': 'class Any:\n    def __eq__(self, o): return True\n    __hash__ = None\ndef solution(*a):\n    return Any()',
    'loops forever': 'def solution(*a):\n    while True: pass',
    'reads the host': "open('/etc/hostname').read()\ndef solution(*a):\n    return open('/etc/passwd').read()",
    'not Python': 'I cannot solve this task.',
}

@pytest.mark.parametrize('kind', list(HOSTILE_SOLUTIONS))
def test_execute_mode_hostile_solutions_never_pass(kind, tmp_path):
    rows = [r for r in d.planted_rows() if r['style'] in ('reworded', 'near-miss')][:3]
    audit, rows, pairs = _execute_run(tmp_path, lambda task: HOSTILE_SOLUTIONS[kind], rows=rows, judge_attempts=1)
    judged = [p for p in pairs if p['decided_by'] == 'judge']
    assert judged and not any(p['contaminated'] for p in judged), pairs   # an always-equal object: see below
    assert audit['removed'] == audit['removed_by_reason'].get('lexical', 0)

def test_execute_mode_asks_where_the_item_has_no_python_tests(tmp_path):
    rows = [dict(instruction='Write a JavaScript function that returns the length of a string.', output='')]
    audit, _, pairs = _execute_run(tmp_path, lambda task: 'def solution(s):\n    return len(s)', rows=rows,
                                   benchmarks=['multipl-e-js'])
    judged = [p for p in pairs if p['decided_by'] == 'judge']
    assert judged and {p['judge']['how'] for p in judged} == {'ask'} and audit['removed'] == 0   # the server says NO

def test_execute_mode_with_an_unreachable_judge_fails_closed_in_seconds(tmp_path):
    rows = [r for r in d.planted_rows() if r['style'] in ('reworded', 'near-miss')][:12]
    write_jsonl(tmp_path / 'train.jsonl', rows)
    a = d.decontaminate(d.DecontamConfig(judge=_judge('http://127.0.0.1:9/v1', tmp_path), judge_mode='execute'),
                        tmp_path / 'train.jsonl', tmp_path)
    assert a['judge_report']['circuit_open'] and a['kept'] == 0 and a['removed_for_judge_failure'] > 0
    assert a['seconds']['judge'] < 30

@pytest.mark.parametrize('bench', ['humaneval', 'mbpp', 'humaneval+', 'mbpp+'])
def test_reference_solutions_pass_their_own_tests_as_written_solutions(bench):
    "The harness around a written solution (prelude, name, plain-data guard) must not fail a right one."
    from wizardcoder_nb import data
    from wizardcoder_nb.exec import Sandbox, run_programs
    ps = [p for p in data.load_benchmark(bench) if d.executable(p)]
    ref = lambda p: p.prompt + p.canonical_solution if bench.startswith('humaneval') else p.canonical_solution
    with Sandbox(workers=2) as sb: rs = run_programs([d.test_program(ref(p), p) for p in ps], limits=d.SOLVE_LIMITS, sandbox=sb)
    assert [(p.task_id, r.reason) for p, r in zip(ps, rs) if r.verdict != 'passed'] == []

def test_default_mode_is_execute_for_the_embedded_judge_only():
    assert d.judging_mode(d.DecontamConfig()) == 'execute'
    assert d.judging_mode(d.DecontamConfig(judge='openai:gpt-4o')) == 'ask'
    assert d.judging_mode(d.DecontamConfig(judge='openai:gpt-4o', judge_mode='execute')) == 'execute'

# --- a judge that fails: fast, fail-closed, counted, --strict ---

def _small_run(tmp: Path, judge: dict) -> tuple[dict, float]:
    rows = [r for r in d.planted_rows() if r['style'] in ('reworded', 'near-miss')][:12]
    write_jsonl(tmp / 'train.jsonl', rows)
    a = d.decontaminate(d.DecontamConfig(judge=judge), tmp / 'train.jsonl', tmp)
    return a, a['seconds']['judge']

def test_unreachable_judge_ends_in_seconds_fail_closed(tmp_path):
    a, secs = _small_run(tmp_path, _judge('http://127.0.0.1:9/v1', tmp_path))  # nothing listens on port 9
    print(f'\njudge step with an unreachable judge: {secs:.2f}s; {d.summary_line(a)}')
    assert a['judge_report']['circuit_open'] and a['judge_report']['failed'] == 3
    assert a['kept'] == 0 and a['removed_for_judge_failure'] == a['removed'] == a['rows']   # nothing kept silently
    assert 'only because the judge failed' in d.summary_line(a)
    assert secs < 30   # 2.2 s measured on 2 cores under load 14; the old path took ~19 s per pair

def test_failing_server_opens_the_circuit(tmp_path):
    with FaultServer(fail_first=1000, fail_kind='500') as srv_url:   # reachable, answers every request with HTTP 500
        a, secs = _small_run(tmp_path, _judge(srv_url, tmp_path))     # the default retry budget (6 retries) applies later
    assert a['judge_report']['circuit_open'] and a['judge_errors'] > 0 and a['kept'] == 0
    assert a['judge_report']['asked'] == 3   # three requests (one retry each) before the circuit opened
    assert secs < 30

def test_strict_exits_nonzero_and_the_console_gives_the_count(tmp_path, wcnb_exe):
    import subprocess
    write_jsonl(tmp_path / 'train.jsonl', [dict(instruction=d.planted_rows()[0]['instruction'], output='')])
    (tmp_path / 'c.yaml').write_text(f"judge:\n  spec: openai:judge-model\n  base_url: http://127.0.0.1:9/v1\n"
                                     f"  cache_path: {tmp_path / 'llm.sqlite'}\nbenchmarks: [humaneval]\n")
    cmd = [wcnb_exe, 'decontaminate', str(tmp_path / 'train.jsonl'), '--config', str(tmp_path / 'c.yaml')]
    env = {**os.environ, 'WCNB_HOME': os.environ.get('WCNB_HOME', str(tmp_path / 'home'))}
    loose = subprocess.run(cmd, capture_output=True, text=True, env=env)
    strict = subprocess.run(cmd + ['--strict'], capture_output=True, text=True, env=env)
    assert loose.returncode == 0 and '1 of them only because the judge failed' in loose.stdout, loose.stdout + loose.stderr
    assert strict.returncode == 1 and '--strict' in strict.stderr, strict.stdout + strict.stderr

# --- the request cache never mixes servers ---

class TaggedServer(FaultServer):
    "A server whose replies carry its own tag, so answers from two servers can be told apart."
    def __init__(self, tag: str, **kw): super().__init__(**kw); self.tag = tag
    def _reply(self, req, chat, prompt):
        r = super()._reply(req, chat, prompt)
        r['choices'][0]['message']['content'] = f'{self.tag}: YES'
        return r

def test_two_servers_with_one_model_name_never_share_cached_verdicts(tmp_path):
    conv = d.judge_conversation('A task.', 'The same task.')
    with TaggedServer('one') as u1, TaggedServer('two') as u2:
        answers = []
        for url in (u1, u2, u1):
            with llm.get_engine('openai:same-model', base_url=url, cache_path=tmp_path / 'llm.sqlite', progress=False) as eng:
                answers.append(eng.chat([conv], llm.Sampling(max_tokens=4))[0])
    assert [a.text for a in answers] == ['one: YES', 'two: YES', 'one: YES']
    assert [a.cached for a in answers] == [False, False, True]   # the second server was asked; the first one's answer is reused

# --- the embedded judge on the planted set (slow: WCNB_SLOW_TESTS=1) ---

@pytest.mark.skipif(not os.environ.get('WCNB_SLOW_TESTS'), reason='the embedded judge on 80 planted rows takes tens of minutes on 2 cores')
@pytest.mark.parametrize('split', ['calibration', 'holdout'])
def test_embedded_judge_keeps_clean_data_clean(split, tmp_path):
    "Default settings (the embedded judge judges by execution): ≤ 5% of near-misses removed on either planted set."
    c = d.calibrate_planted(d.DecontamConfig(), tmp_path, split=split)
    print(json.dumps(c, indent=1))
    assert c['false_removal_near_miss'] <= 0.05, c
    assert c['recall'] >= 0.55, c   # measured 67.5% / 57.5% (asking: 77.5% on calibration, with 22.5% false removals)

# --- input errors ---

def test_bad_training_line_names_file_and_line(tmp_path):
    (tmp_path / 'train.jsonl').write_text('{"instruction": "a", "output": "b"}\n{"instruction": "c"\n')
    with pytest.raises(WcnbError, match=r'train\.jsonl:2'): d.load_training(tmp_path / 'train.jsonl')

def test_missing_instruction_names_the_field(tmp_path):
    (tmp_path / 'train.jsonl').write_text('{"output": "b"}\n')
    with pytest.raises(WcnbError, match=r"train\.jsonl:1.*instruction"): d.load_training(tmp_path / 'train.jsonl')

def test_unknown_benchmark_is_a_clear_error():
    with pytest.raises(WcnbError, match="unknown benchmark 'humaneavl'"): d.benchmark_list(['humaneavl'])

def test_bad_config_names_file_line_and_field(tmp_path):
    (tmp_path / 'c.yaml').write_text('decontaminate:\n  top_k: 5\n  remove_threshold: 2\n')
    with pytest.raises(WcnbError, match=r"c\.yaml:3: field 'decontaminate\.remove_threshold'"): d.load_decontam_config(tmp_path / 'c.yaml')

def test_cli_without_judge(tmp_path):
    rows = [dict(instruction='Write a function to find the perimeter of a square.', output=''),
            dict(instruction='Write CSS that centres a div both horizontally and vertically.', output='')]
    write_jsonl(tmp_path / 'train.jsonl', rows)
    audit = d.cli_decontaminate(tmp_path / 'train.jsonl', benchmarks='mbpp', judge='none')
    assert audit['removed'] == 1 and audit['judge'] is None and audit['kept_unjudged'] == 1
    assert (tmp_path / 'train.clean.jsonl').read_text().count('\n') == 1
