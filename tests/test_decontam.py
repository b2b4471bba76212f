"""Decontamination quality on planted data, fail-closed judging, and input errors.

The planted training set: benchmark problems reworded by hand (HumanEval and MBPP, none copied), a verbatim copy and a
solution copy, and programming tasks that are not benchmark problems. The default pipeline runs on it with the embedded
judge (llama.cpp, Qwen2.5-Coder-0.5B-Instruct); precision and recall are printed (`pytest -s`) and held to a floor.
Judge verdicts are cached by the LLM engine (under $WCNB_HOME), so a second run asks the model nothing.
"""
import json, os, sys
from pathlib import Path
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from wizardcoder_nb import decontam as d
from wizardcoder_nb.core import WcnbError, write_jsonl

# (benchmark item, reworded task): each must be removed
PARAPHRASES = [
    ('HumanEval/0', "You receive an array of floating-point values together with a distance limit. Report whether at least one pair of entries lies nearer to each other than that limit, returning a boolean."),
    ('HumanEval/2', "Given a positive real number, give back only its fractional part, i.e. what remains after removing the largest whole number not exceeding it."),
    ('HumanEval/11', "Two strings made only of the characters '0' and '1' are given. Combine them bit by bit with exclusive-or and return the outcome as a string of the same kind."),
    ('HumanEval/16', "Count how many different letters appear in a piece of text when uppercase and lowercase versions of a letter are considered identical."),
    ('HumanEval/29', "Write a function that receives a list of words and a starting fragment, and keeps only the words that begin with that fragment."),
    ('HumanEval/40', "Determine whether a list of integers contains three entries at different positions whose total is exactly zero. Your solution should run in O(n^2) time. Return True or False."),
    ('HumanEval/64', "Implement a routine that counts the vowels a, e, i, o, u in a single word, case-insensitively; the letter y is also counted as a vowel, but only when it is the last character of the word."),
    ('HumanEval/92', "Create a function taking three numbers that answers True when all of them are whole numbers and one of them equals the sum of the other two; in every other situation it answers False."),
    ('HumanEval/104', "From a list of positive integers, pick out those that contain no even digit at all, and return them in increasing order."),
    ('HumanEval/150', "Write a function of n, x and y that yields x when n is prime and y in every other case."),
    ('HumanEval/162', "Given a text, produce the hexadecimal MD5 digest of it as a string; when the text is empty, return None instead."),
    ('Mbpp/11', "Delete the first and the last appearance of a specified character in a string and return what is left."),
    ('Mbpp/12', "Reorder the rows of a matrix (a list of lists of numbers) so that the rows with smaller totals come first."),
    ('Mbpp/20', "Decide whether an integer is a Woodall number, that is, whether it can be written as n * 2**n - 1 for some positive integer n."),
    ('Mbpp/57', "Given a list of single digits, arrange them to form the biggest possible integer and return that integer."),
    ('Mbpp/76', "Compute how many squares of any size can be found in a rectangular grid of m by n unit cells."),
    ('Mbpp/127', "Compute the product of two whole numbers in Python without ever using the multiplication operator; handle negative numbers correctly."),
    ('Mbpp/222', "Verify that every item of a tuple has one and the same data type, returning a boolean."),
    ('Mbpp/240', "Take two lists and put the whole second list in place of the final element of the first list, returning the combined list."),
    ('Mbpp/300', "How many binary strings of length 2n are there in which the first n bits contain as many ones as the last n bits? Write a function for it."),
    ('Mbpp/480', "In a given string, find the character that occurs most often and return it."),
]

# programming tasks that are no HumanEval or MBPP test problem: each must survive
UNRELATED = [
    "Write an SQL query that lists every customer who placed more than five orders during 2023, with their total spend.",
    "Build a Flask endpoint that accepts a JSON body with a username and stores it in an SQLite table, returning 201 on success.",
    "Write CSS that centres a div both horizontally and vertically inside the viewport using flexbox.",
    "Write a bash script that archives the /etc directory into a tarball whose name contains today's date.",
    "Implement a thread-safe LRU cache class in Java with get and put methods and a fixed capacity.",
    "Train a logistic regression classifier with scikit-learn on the iris dataset and print its test accuracy.",
    "Create a React component that shows a countdown timer from a given number of seconds and calls a callback at zero.",
    "Parse an Apache access log file and print the ten IP addresses that made the most requests.",
    "Implement Dijkstra's shortest-path algorithm for a weighted directed graph given as an adjacency list.",
    "Write a Python function that converts a Roman numeral string such as 'MCMXCIV' into an integer.",
    "Write a tokenizer for arithmetic expressions that yields numbers, operators and parentheses as separate tokens.",
    "Write a Go program that reads a text file line by line and prints how many words it contains.",
    "Merge two sorted singly linked lists into one sorted linked list and return its head.",
    "Write a Python class for a bank account with deposit, withdraw and balance methods that refuses overdrafts.",
    "Using pandas, read a CSV of sales records and plot the monthly revenue as a bar chart with matplotlib.",
    "Write a function that returns the transpose of a matrix given as a list of lists.",
    "Write a Python function that validates an e-mail address with a regular expression.",
]

def planted_rows(problems: dict) -> list[dict]:
    "Paraphrases, a verbatim prompt, a copied solution under another task, and unrelated tasks; `truth` says which is which."
    rows = [dict(instruction=t, output='', truth=task) for task, t in PARAPHRASES]
    he = problems['HumanEval/33']
    rows.append(dict(instruction='Complete the following Python function.\n\n' + he.prompt, output='', truth='HumanEval/33'))
    mb = problems['Mbpp/123']
    rows.append(dict(instruction='Explain what this code does and add comments.', input=mb.canonical_solution, output='', truth='Mbpp/123'))
    rows += [dict(instruction=t, output='', truth=None) for t in UNRELATED]
    return rows

def have_llama() -> bool:
    try: import llama_cpp  # noqa: F401
    except ImportError: return False
    return True

@pytest.fixture(scope='module')
def planted(tmp_path_factory):
    if not have_llama(): pytest.skip('llama-cpp-python is not installed (embedded judge)')
    cfg = d.DecontamConfig()
    problems = {p.task_id: p for p in d.load_problems(cfg)}
    tmp = tmp_path_factory.mktemp('planted')
    rows = planted_rows(problems)
    write_jsonl(tmp / 'train.jsonl', rows)
    audit = d.decontaminate(cfg, tmp / 'train.jsonl', tmp)
    removed = [json.loads(l) for l in (tmp / 'decontam' / 'removed.jsonl').read_text().splitlines()]
    kept = [json.loads(l) for l in (tmp / 'train.clean.jsonl').read_text().splitlines()]
    return dict(rows=rows, audit=audit, removed=removed, kept=kept, dir=tmp)

def scores(planted) -> dict:
    removed = {r['decontam']['row'] for r in planted['removed']}
    truth = [r['truth'] is not None for r in planted['rows']]
    tp = sum(t and i in removed for i, t in enumerate(truth)); fp = sum(not t and i in removed for i, t in enumerate(truth))
    fn = sum(t and i not in removed for i, t in enumerate(truth)); tn = sum(not t and i not in removed for i, t in enumerate(truth))
    return dict(tp=tp, fp=fp, fn=fn, tn=tn, precision=tp / max(tp + fp, 1), recall=tp / max(tp + fn, 1))

def test_planted_precision_recall(planted):
    s = scores(planted)
    missed = [r['truth'] for i, r in enumerate(planted['rows']) if r['truth'] and i not in {x['decontam']['row'] for x in planted['removed']}]
    wrong = [r['instruction'][:60] for r in planted['removed'] if r['truth'] is None]
    print(f"\nplanted: {s}\nmissed: {missed}\nwrongly removed: {wrong}\njudge: {planted['audit']['pairs_judged']} pairs")
    # measured with all-MiniLM-L6-v2 + the embedded 0.5B judge: precision 15/16, recall 15/23 (the judge says NO to 6 of
    # the paraphrases it sees); the floors sit just below, so a regression fails. A stronger judge raises recall.
    assert s['recall'] >= 0.6, (s, missed)
    assert s['precision'] >= 0.85, (s, wrong)

def test_clean_plus_removed_is_the_input(planted):
    assert len(planted['kept']) + len(planted['removed']) == len(planted['rows'])
    assert planted['audit']['rows'] == len(planted['rows'])

def test_copies_are_caught_lexically(planted):
    by_truth = {r['truth']: r for r in planted['removed']}
    for task in ('HumanEval/33', 'Mbpp/123'):
        ev = by_truth[task]['decontam']['evidence']
        assert any(e['task_id'] == task and e['reason'] == 'lexical' for e in ev), ev

def test_removed_rows_carry_evidence(planted):
    for r in planted['removed']:
        ev = r['decontam']['evidence']
        assert ev and all({'benchmark', 'task_id', 'similarity', 'lexical', 'judge', 'reason'} <= set(e) for e in ev)
        assert all(e['judge'] is not None for e in ev if e['reason'].startswith('judge'))

def test_audit_files(planted):
    a = planted['dir'] / 'decontam'
    md, page = (a / 'audit.md').read_text(), (a / 'audit.html').read_text()
    assert '| humaneval |' in md and '| mbpp |' in md and '<table>' in page
    assert json.loads((a / 'audit.json').read_text())['removed'] == len(planted['removed'])

# --- fail-closed judging against a real local OpenAI-compatible server ---

def _tiny_run(tmp_path, judge: dict) -> list[dict]:
    rows = [dict(instruction=PARAPHRASES[0][1], output=''), dict(instruction=UNRELATED[0], output='')]
    write_jsonl(tmp_path / 'train.jsonl', rows)
    cfg = d.DecontamConfig(benchmarks=['humaneval'], judge_threshold=0.3, reverse_k=1, top_k=1,
                           judge=dict(judge, cache_path=str(tmp_path / 'llm.sqlite'), progress=False))
    d.decontaminate(cfg, tmp_path / 'train.jsonl', tmp_path)
    return [json.loads(l) for l in (tmp_path / 'decontam' / 'pairs.jsonl').read_text().splitlines()]

def test_unparseable_reply_counts_as_contaminated(tmp_path, monkeypatch):
    from openai_fault_server import FaultServer
    monkeypatch.setenv('OPENAI_API_KEY', 'test')
    with FaultServer() as url:  # answers 'reply-<hash>': neither YES nor NO
        pairs = _tiny_run(tmp_path, dict(spec='openai:test-model', base_url=url))
    judged = [p for p in pairs if p['judge']]
    assert judged and all(p['judge']['verdict'] == 'unparseable' and p['contaminated'] for p in judged)

def test_judge_error_counts_as_contaminated(tmp_path, monkeypatch):
    from openai_fault_server import FaultServer
    monkeypatch.setenv('OPENAI_API_KEY', 'test')
    with FaultServer(fail_first=100, fail_kind='500') as url:
        pairs = _tiny_run(tmp_path, dict(spec='openai:test-model', base_url=url, max_retries=1, backoff=0.01))
    judged = [p for p in pairs if p['judge']]
    assert judged and all(p['judge']['verdict'] == 'error' and p['contaminated'] and p['judge']['error'] for p in judged)

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
    (tmp_path / 'c.yaml').write_text('decontaminate:\n  top_k: 5\n  judge_threshold: 2\n')
    with pytest.raises(WcnbError, match=r"c\.yaml:3: field 'decontaminate\.judge_threshold'"): d.load_decontam_config(tmp_path / 'c.yaml')

def test_cli_without_judge(tmp_path):
    rows = [dict(instruction='Write a function to find the perimeter of a square.', output=''), dict(instruction=UNRELATED[2], output='')]
    write_jsonl(tmp_path / 'train.jsonl', rows)
    audit = d.cli_decontaminate(tmp_path / 'train.jsonl', benchmarks='mbpp', judge='none')
    assert audit['removed'] == 1 and audit['judge'] is None
    assert (tmp_path / 'train.clean.jsonl').read_text().count('\n') == 1
