"""Code Evol-Instruct (wizardcoder_nb.evol) with the real embedded model: elimination rules on real failing texts,
determinism under a fixed seed, and kill/resume (SIGKILL a subprocess mid-run, rerun: no lost or duplicated rows).

The runs are tiny (2 seeds, 2 rounds, short generations) but real: llama.cpp on the embedded GGUF, the sandbox for
the execution check, each run with its own fresh request cache unless a test says otherwise."""
import json, os, signal, subprocess, sys, textwrap, time
from pathlib import Path
import pytest
from wizardcoder_nb import evol
from wizardcoder_nb.evol import (EvolConfig, Models, rule_copies_prompt, rule_sorry, rule_stopwords, rule_reply, method_set,
                                 run_evolution, load_rows, lineage, format_lineage)

ROOT = Path(__file__).resolve().parent.parent


def tiny(tmp: Path, name: str, **kw) -> EvolConfig:
    "2 seeds, 2 rounds, short generations, rejected parents retried (so round 2 always has work), own cache."
    return EvolConfig(**{**dict(n_seeds=2, rounds=2, evol_max_tokens=48, response_max_tokens=48, batch_size=1,
                                retry_rejected=True, llm={'cache_path': str(tmp / f'{name}.sqlite')}), **kw})


def rows_of(out: Path) -> dict[str, list[dict]]:
    "Every file's rows without the wall-clock field."
    return {f.name: [{k: v for k, v in r.items() if k != 'created'} for r in map(json.loads, f.read_text().splitlines())]
            for f in sorted(out.glob('*.jsonl'))}


# ---------------------------------------------------------------- rules on real failing texts

def _find(rows, field, needle):
    hit = next((r[field] for r in rows if needle.lower() in r[field].lower()), None)
    assert hit is not None, needle
    return hit


def test_rule4_copies_prompt_real_texts(restricted):
    "Evolved instructions from a public Code Evol-Instruct recreation (gpt-3.5) that leak the evolving prompt."
    rows = json.loads(restricted('evol-teacher/evol-codealpaca-2k-1.json').read_text())
    code = method_set('code')
    for needle in ['#Rewritten Test#', 'Increase the difficulty of the given programming test question',
                   'to increase misdirection']:
        text = _find(rows, 'instruction', needle)
        assert rule_copies_prompt(text, code[3].prompt('Q'), 'Q'), needle
    # our embedded model's own outputs for the code prompt (seen in this project's runs)
    for text in ['Analyze the effectiveness of the given programming test question.',
                 "Certainly! You can increase the difficulty of this programming test question by adding more logical steps."]:
        assert rule_copies_prompt(text, code[2].prompt('Q'), 'Q')
    # and a clean evolved instruction from the same data does not fire
    clean = next(r['instruction'] for r in rows if 'prime' in r['instruction'].lower()
                 and not rule_copies_prompt(r['instruction'], code[0].prompt('Q'), 'Q'))
    assert clean


def test_rule2_sorry_real_texts(restricted):
    rows = json.loads(restricted('evol-teacher/evol-codealpaca-2k-1.json').read_text())
    sorry = _find(rows, 'output', "I'm sorry, but I cannot perform Lexical Analysis")
    assert 'sorry' in rule_sorry(sorry)
    assert rule_sorry("I'm sorry, but I can't assist with that.")   # the embedded model, refusing an evolved task
    long_sorry = next(r['output'] for r in rows if 'sorry' in r['output'].lower() and len(r['output'].split()) >= 80)
    assert rule_sorry(long_sorry) is None


def test_rule3_stopwords_real_texts(restricted):
    "Code Alpaca seeds with empty outputs fail rule 3; terse regex answers show where it misfires ('a' is a stop word)."
    rows = json.loads(restricted('codealpaca/code_alpaca_2k.json').read_text())
    flagged = [i for i, r in enumerate(rows) if rule_stopwords(r['output'])]
    assert [rows[i]['output'] for i in flagged if not rows[i]['output'].strip()] == ['', '']
    assert set(rows[i]['output'] for i in flagged) == {'', '^a.+', "'A'"}
    assert rule_stopwords(r'\d+\s+') is None


def test_rule_reply_real_texts(restricted):
    "Beyond the paper: the embedded model answering instead of rewriting is caught; no real instruction is flagged."
    for text in ["Certainly! Here's an example of a Python function that counts how many times each word occurs in a sentence",
                 "Certainly! To merge two sorted lists into a single sorted list without using the built-in sort, we can use"]:
        assert rule_reply(text), text
    for f in ['evol-teacher/evol-codealpaca-2k-1.json', 'codealpaca/code_alpaca_2k.json']:
        rows = json.loads(restricted(f).read_text())
        assert len(rows) > 1900 and [r['instruction'] for r in rows if rule_reply(r['instruction'])] == []


@pytest.fixture(scope='module')
def judge_models(tmp_path_factory):
    m = Models(EvolConfig(llm={'cache_path': str(tmp_path_factory.mktemp('judge') / 'c.sqlite')}))
    yield m
    m.close()


def test_rule1_judge_embedded(judge_models):
    "Rule 1 with the embedded model as judge: an instruction it rewrote without adding anything is judged Equal."
    parent = dict(id='p', root_id='p', instruction='Write a program that prints the multiplication table of a number from 1 to 10.', input='7')
    same = dict(id='p.1', parent_id='p', instruction='Implement a program in Python that prints the multiplication table of a number from 1 to 10.')
    rows = [same]
    evol._judge(rows, {'p': parent}, 1, judge_models, EvolConfig())
    assert same['judge'] == 'equal' and same['reason'] == 'no_information_gain', same


# ---------------------------------------------------------------- determinism and resume

@pytest.fixture(scope='module')
def reference(tmp_path_factory):
    "An uninterrupted tiny run."
    tmp = tmp_path_factory.mktemp('ref')
    man = run_evolution(tiny(tmp, 'ref'), tmp / 'out')
    return tmp, man


def test_reference_run_is_complete(reference):
    tmp, man = reference
    assert man['status'] == 'complete' and [r['round'] for r in man['rounds']] == [0, 1, 2]
    rows = load_rows(tmp / 'out')
    seeds = [s.id for s in evol.pick_seeds(tiny(tmp, 'ref'))]
    assert [r['id'] for r in rows.values() if r['round'] == 0] == seeds and len(seeds) == 2
    for k in (1, 2):   # with retry_rejected every parent is evolved once per round: one row per job, in one file
        s = man['rounds'][k]
        assert s['evolved'] == s['accepted'] + s['rejected'] == 2
        assert sum(s['methods_tried'].values()) == 2
    leaf = max(rows.values(), key=lambda r: r['round'])
    chain = lineage(tmp / 'out', leaf['id'])
    assert chain[0]['round'] == 0 and chain[-1]['id'] == leaf['id'] and chain[0]['id'] == leaf['root_id']
    assert 'round 0' in format_lineage(chain)


def test_deterministic_under_fixed_seed(reference, tmp_path):
    "Same config, fresh cache, fresh folder: identical rows (llama.cpp sampling is seeded per request)."
    ref_tmp, _ = reference
    run_evolution(tiny(tmp_path, 'again'), tmp_path / 'out')
    assert rows_of(tmp_path / 'out') == rows_of(ref_tmp / 'out')


RUNNER = textwrap.dedent('''
    import sys, json
    from wizardcoder_nb.evol import EvolConfig, run_evolution
    cfg = EvolConfig.model_validate_json(sys.argv[1])
    run_evolution(cfg, sys.argv[2])
''')


def _lines(out: Path) -> int:
    return sum(len(f.read_bytes().splitlines()) for f in out.glob('*_[12].jsonl')) if out.exists() else 0


def test_kill_and_resume(reference, tmp_path):
    "SIGKILL a run once round 1 has rows, rerun: every job has exactly one row and the rows equal the reference."
    ref_tmp, ref_man = reference
    cfg, out = tiny(tmp_path, 'killed'), tmp_path / 'out'
    p = subprocess.Popen([sys.executable, '-c', RUNNER, cfg.model_dump_json(), str(out)], cwd=ROOT,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    t0 = time.time()
    while _lines(out) < 1 and p.poll() is None and time.time() - t0 < 900: time.sleep(0.2)
    assert p.poll() is None, f'the run ended before it could be killed: {p.stderr.read().decode()[-2000:]}'
    p.send_signal(signal.SIGKILL); p.wait()
    killed_at = _lines(out)
    man = run_evolution(cfg, out)
    assert man['status'] == 'complete'
    got, ref = rows_of(out), rows_of(ref_tmp / 'out')
    ids = [r['id'] for rows in got.values() for r in rows]
    assert len(ids) == len(set(ids)), 'duplicated rows'
    assert got == ref, f'killed after {killed_at} rows of rounds 1-2; resumed rows differ from the reference'
    # the resume did not redo the killed run's work: it sent fewer requests than a whole run takes
    sent = lambda s: s['usage']['embedded']['requests']
    assert sent(man['sessions'][-1]) < sent(ref_man['sessions'][0]), (man['sessions'], ref_man['sessions'])


def test_resume_refuses_other_settings(reference):
    ref_tmp, _ = reference
    with pytest.raises(evol.WcnbError, match='other settings'):
        run_evolution(tiny(ref_tmp, 'ref', evol_temperature=0.3), ref_tmp / 'out')


def test_cli_evolve_and_lineage(reference, tmp_path, wcnb_exe):
    "The CLI verbs on the reference config (its cache answers every request) — and `wcnb` maps bad input to exit 2."
    ref_tmp, _ = reference
    cfg = tiny(ref_tmp, 'ref')
    yml = tmp_path / 'evol.yaml'
    yml.write_text(json.dumps({'evol': cfg.model_dump(mode='json')}))   # JSON is YAML; a run config's evol: section
    from typer.testing import CliRunner
    from wizardcoder_nb.cli import app
    r = CliRunner().invoke(app, ['evolve', '--config', str(yml), '--out', str(tmp_path / 'out')])
    assert r.exit_code == 0, r.output
    assert 'complete' in r.output and (tmp_path / 'out' / 'stats.png').exists()
    assert rows_of(tmp_path / 'out') == rows_of(ref_tmp / 'out')
    leaf = max(load_rows(tmp_path / 'out').values(), key=lambda r: r['round'])
    r = CliRunner().invoke(app, ['lineage', leaf['id'], '--dir', str(tmp_path / 'out')])
    assert r.exit_code == 0 and leaf['root_id'] in r.output and 'round 2' in r.output, r.output
    bad = tmp_path / 'bad.yaml'; bad.write_text('rounds: 2\nevol_top_p: 3\n')
    p = subprocess.run([wcnb_exe, 'evolve', '--config', str(bad)], cwd=tmp_path,
                       capture_output=True, text=True)
    assert p.returncode == 2 and "bad.yaml:2: field 'evol_top_p'" in p.stderr, p.stderr
