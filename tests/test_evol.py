"""Code Evol-Instruct (wizardcoder_nb.evol): elimination rules on real failing texts; one model per role on three real
local OpenAI-compatible servers; the paper configs are the paper; the bugs of issue 17 pinned; and, with the real
embedded model, determinism under a fixed seed and kill/resume (SIGKILL a subprocess mid-run, rerun: no lost or
duplicated rows).

The embedded runs are tiny (2 seeds, 2 rounds, short generations) but real: llama.cpp on the embedded GGUF, each run
with its own fresh request cache unless a test says otherwise. The server runs use tests/openai_fault_server.py."""
import json, os, signal, subprocess, sys, textwrap, time
from pathlib import Path
import pytest
from wizardcoder_nb import evol
from wizardcoder_nb.core import WcnbError
from wizardcoder_nb.llm import Roles
from wizardcoder_nb.evol import (Additions, EvolConfig, EvolRow, Models, Rules, evolving_messages, format_lineage, lineage,
                                 load_evol_config, load_rows, method_set, read_rewrite, rule_copies_prompt, rule_reply,
                                 rule_sorry, rule_stopwords, run_evolution)

sys.path.insert(0, str(Path(__file__).parent))
from openai_fault_server import FaultServer

ROOT = Path(__file__).resolve().parent.parent


def tiny(tmp: Path, name: str, **kw) -> EvolConfig:
    "2 seeds, 2 rounds, short generations, rejected parents retried (so round 2 always has work), own cache."
    base = dict(n_seeds=2, rounds=2, batch_size=1, retry_rejected=True,
                sampling={'evolve': {'max_tokens': 48}, 'respond': {'max_tokens': 48}},
                models={'default': {'cache_path': str(tmp / f'{name}.sqlite')}})
    return EvolConfig.model_validate({**base, **kw})


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
    m = Models(Roles(default={'cache_path': str(tmp_path_factory.mktemp('judge') / 'c.sqlite')}))
    yield m
    m.close()


def test_rule1_judge_embedded(judge_models):
    "Rule 1 with the embedded model as judge: an instruction it rewrote without adding anything is judged Equal."
    parent = EvolRow(id='p', root_id='p', round=0, instruction='Write a program that prints the multiplication table of a number from 1 to 10.', input='7')
    same = EvolRow(id='p.1', parent_id='p', root_id='p', round=1,
                   instruction='Implement a program in Python that prints the multiplication table of a number from 1 to 10.')
    evol._judge([same], {'p': parent}, 1, judge_models, EvolConfig())
    assert same.judge == 'equal' and same.reason == 'no_information_gain', same


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
    assert [r.id for r in rows.values() if r.round == 0] == seeds and len(seeds) == 2
    for k in (1, 2):   # with retry_rejected every parent is evolved once per round: one row per job, in one file
        s = man['rounds'][k]
        assert s['evolved'] == s['accepted'] + s['rejected'] == 2
        assert sum(s['methods_tried'].values()) == 2
    leaf = max(rows.values(), key=lambda r: r.round)
    chain = lineage(tmp / 'out', leaf.id)
    assert chain[0].round == 0 and chain[-1].id == leaf.id and chain[0].id == leaf.root_id
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
    sent = lambda s: sum(u['requests'] for u in s['usage'].values())   # by role
    assert sent(man['sessions'][-1]) < sent(ref_man['sessions'][0]), (man['sessions'], ref_man['sessions'])


def test_resume_refuses_other_settings(reference):
    ref_tmp, _ = reference
    with pytest.raises(evol.WcnbError, match='other settings'):
        run_evolution(tiny(ref_tmp, 'ref', sampling={'evolve': {'temperature': 0.3, 'max_tokens': 48}}), ref_tmp / 'out')


def test_cli_evolve_and_lineage(reference, tmp_path, wcnb_exe):
    "The CLI verbs on the reference config (its cache answers every request) — and `wcnb` maps bad input to exit 2."
    ref_tmp, _ = reference
    cfg = tiny(ref_tmp, 'ref').model_dump(mode='json')
    yml = tmp_path / 'evol.yaml'   # a run config: its evolve: section and run-level models: (JSON is YAML)
    yml.write_text(json.dumps({'models': cfg.pop('models'), 'evolve': cfg, 'train': {'max_steps': 1}}))
    from typer.testing import CliRunner
    from wizardcoder_nb.cli import app
    r = CliRunner().invoke(app, ['evolve', '--config', str(yml), '--out', str(tmp_path / 'out')])
    assert r.exit_code == 0, r.output
    assert 'complete' in r.output and (tmp_path / 'out' / 'stats.png').exists()
    assert rows_of(tmp_path / 'out') == rows_of(ref_tmp / 'out')
    leaf = max(load_rows(tmp_path / 'out').values(), key=lambda r: r.round)
    r = CliRunner().invoke(app, ['lineage', leaf.id, '--dir', str(tmp_path / 'out')])
    assert r.exit_code == 0 and leaf.root_id in r.output and 'round 2' in r.output, r.output
    bad = tmp_path / 'bad.yaml'; bad.write_text('rounds: 2\nsampling:\n  evolve: {top_p: 3}\n')
    p = subprocess.run([wcnb_exe, 'evolve', '--config', str(bad)], cwd=tmp_path,
                       capture_output=True, text=True)
    assert p.returncode == 2 and "bad.yaml:3: field 'sampling.evolve.top_p'" in p.stderr, p.stderr


# ---------------------------------------------------------------- one model per role, on three real local servers

def ledger(url: str) -> dict:
    import httpx
    return httpx.get(url + '/stats').json()


def write_seeds(path: Path, n: int = 2) -> Path:
    rows = [dict(id=f's{i}', instruction=f'Write a function that returns the {w} of a list of numbers.')
            for i, w in enumerate(['median', 'mode', 'range'][:n])]
    path.write_text(''.join(json.dumps(r) + '\n' for r in rows))
    return path


def three_servers_cfg(tmp_path: Path, urls: dict, **kw) -> EvolConfig:
    "The paper's recipe with evolver, responder and equality judge each on its own server."
    roles = dict(default={'cache_path': str(tmp_path / 'cache.sqlite'), 'backoff': 0.01},
                 **{r: {'spec': f'openai:{r}', 'base_url': u} for r, u in urls.items()})
    return EvolConfig.model_validate(dict(seeds=str(write_seeds(tmp_path / 'seeds.jsonl')), n_seeds=None, models=roles) | {'rounds': 2, **kw})


def test_each_role_on_its_own_server(tmp_path):
    "Evolver, responder and judge on three local OpenAI-compatible servers: each server gets only its own requests."
    with FaultServer() as ev, FaultServer() as rs, FaultServer() as jd:
        urls = dict(evolver=ev, responder=rs, equality_judge=jd)
        man = run_evolution(three_servers_cfg(tmp_path, urls), tmp_path / 'out')
        got = {role: ledger(u)['attempts'] for role, u in urls.items()}
    rows = load_rows(tmp_path / 'out')
    evolved = [r for r in rows.values() if r.round > 0]
    assert len(evolved) == 4 and not any(r.rejected for r in evolved)   # 2 seeds x 2 rounds; the judge's 'reply-..' is unclear: kept
    assert set(got['evolver']) == {evol.CODE_PROMPT.format(method=evol.CODE_METHODS[r.method], question=rows[r.parent_id].instruction)
                                   for r in evolved}
    assert all(p.startswith('Here are two Instructions to ChatGPT AI') for p in got['equality_judge']) and len(got['equality_judge']) == 4
    assert set(got['responder']) == {r.instruction for r in rows.values()}          # the seeds, then each evolved instruction
    assert all(n == 1 for g in got.values() for n in g.values())                   # each request sent once
    assert man['models'] == {r: f'openai:{r}' for r in urls} and man['additions'] == []
    assert {r: u['requests'] for r, u in man['spend'].items()} == dict(evolver=4, responder=6, equality_judge=4)


def test_manifest_lists_the_additions_in_use(tmp_path):
    "Additions are opt-in and named: the manifest lists exactly those on; a JSON-only evolver that is not is rejected."
    with FaultServer() as url:
        urls = dict(evolver=url, responder=url, equality_judge=url)
        add = dict(json_output=True, reply_rule=True, method_weights={'complexity': 0.5})
        man = run_evolution(three_servers_cfg(tmp_path, urls, rounds=1, additions=add), tmp_path / 'out')
    assert man['additions'] == ['json_output', 'reply_rule', 'method_weights']
    assert man['config']['additions']['method_weights'] == {'complexity': 0.5}
    assert man['rounds'][1]['rejected_by'] == {'unparsable': 2}          # the server's replies are not JSON
    details = [r.detail for r in load_rows(tmp_path / 'out').values() if r.rejected]
    assert len(details) == 2 and all(d.startswith('not JSON with a "question" string') for d in details)


# ---------------------------------------------------------------- the paper configs are the paper

PAPER_PROMPT = ("Please increase the difficulty of the given programming test question a bit.\n\nYou can increase the "
                "difficulty using, but not limited to, the following methods:\n{method}\n\n{question}")
PAPER_METHODS = ["Add new constraints and requirements to the original problem, adding approximately 10 additional words.",
                 "Replace a commonly used requirement in the programming task with a less common and more specific one.",
                 "If the original problem can be solved with only a few logical steps, please add more reasoning steps.",
                 "Provide a piece of erroneous code as a reference to increase misdirection.",
                 "Propose higher time or space complexity requirements, but please refrain from doing so frequently."]
PAPER_CONFIGS = ['configs/evol/paper.yaml', 'configs/starcoder-15b.yaml', 'configs/codellama-34b.yaml']


@pytest.mark.parametrize('path', PAPER_CONFIGS)
def test_paper_configs_resolve_to_the_paper(path):
    "Prompts byte for byte, WizardLM's four rules, a uniform draw, gpt-3.5-turbo in every evolution role, no additions."
    cfg = load_evol_config(ROOT / path)
    assert cfg.additions == Additions() and cfg.additions.on() == []
    assert cfg.rules == Rules() and all([cfg.rules.equal, cfg.rules.sorry, cfg.rules.stopwords, cfg.rules.copies_prompt])
    ms = cfg.methods()
    assert [m.prompt('Q?') for m in ms] == [PAPER_PROMPT.format(method=t, question='Q?') for t in PAPER_METHODS]
    assert {m.weight for m in ms} == {1.0}
    q = 'Write a function that reverses a string.'
    assert evolving_messages(ms[3].prompt(q), cfg.additions) == [{'role': 'user', 'content': PAPER_PROMPT.format(method=PAPER_METHODS[3], question=q)}]
    assert read_rewrite('  #Rewritten Prompt#: X \n', cfg.additions) == ('#Rewritten Prompt#: X', None)   # used as written; rule 4 judges it
    assert {cfg.models.resolve(r).spec for r in evol.EVOL_ROLES} == {'openai:gpt-3.5-turbo'}
    assert (cfg.rounds, cfg.n_seeds, cfg.seeds, cfg.evol_stop.enabled) == (4, None, 'data/codealpaca/code_alpaca_20k.json', True)
    if path != 'configs/evol/paper.yaml':
        from wizardcoder_nb.run import load_run_config, run_additions
        assert run_additions(load_run_config(ROOT / path)) == []


def test_small_evolver_additions_are_opt_in():
    "The demo configs turn the small-evolver additions on, by reference to one file; the defaults are the paper."
    assert EvolConfig().additions.on() == []
    small = load_evol_config(ROOT / 'configs/evol/demo.yaml').additions
    assert small.on() == ['system_prompt', 'few_shot', 'json_output', 'unwrap', 'reply_rule', 'near_dup', 'method_weights', 'exec_check']
    assert load_evol_config(ROOT / 'configs/tiny-cpu.yaml').additions == small


# ---------------------------------------------------------------- issue 17's bugs, pinned

def test_evolve_reads_a_run_configs_evolve_section():
    "`wcnb evolve --config configs/tiny-cpu.yaml` reads the run config's `evolve:` section (it read `evol:` and failed)."
    cfg = load_evol_config(ROOT / 'configs/tiny-cpu.yaml')
    assert (cfg.n_seeds, cfg.rounds, cfg.sampling.evolve.max_tokens) == (8, 3, 192)


def test_cli_evolve_on_the_tiny_run_config(tmp_path):
    "The verb itself on configs/tiny-cpu.yaml, its roles pointed at a local server (so it runs in seconds)."
    from typer.testing import CliRunner
    from wizardcoder_nb.cli import app
    with FaultServer() as url:
        r = CliRunner().invoke(app, ['evolve', '--config', str(ROOT / 'configs/tiny-cpu.yaml'), '--out', str(tmp_path / 'out'),
                                     '--set', 'models.default.spec=openai:m', '--set', f'models.default.base_url={url}',
                                     '--set', f"models.default.cache_path={tmp_path / 'c.sqlite'}", '--set', 'additions={}',
                                     '--rounds', '1'])
    assert r.exit_code == 0, r.output
    man = json.loads((tmp_path / 'out' / 'manifest.json').read_text())
    assert man['seeds']['used'] == 8 and [s['round'] for s in man['rounds']] == [0, 1] and man['additions'] == []


def test_bad_seed_file_touches_nothing(tmp_path):
    "A bad seed file fails before the output folder is created, locked or given a manifest."
    bad = tmp_path / 'seeds.jsonl'
    bad.write_text('{"instruction": "Sort a list."}\n{"instruction": ""}\n')
    with pytest.raises(WcnbError, match=r"seeds.jsonl:2: field 'instruction'"): run_evolution(EvolConfig(seeds=str(bad)), tmp_path / 'out')
    assert not (tmp_path / 'out').exists()
    with pytest.raises(WcnbError, match='file not found'): run_evolution(EvolConfig(seeds=str(tmp_path / 'none.jsonl')), tmp_path / 'out')
    assert not (tmp_path / 'out').exists()


def test_seed_errors_count_lines_not_records(tmp_path):
    "After blank lines, an error names the file's own line (it used to count records)."
    bad = tmp_path / 'seeds.jsonl'
    bad.write_text('\n{"instruction": "Sort a list."}\n\n\n{"instruction": 3}\n')
    with pytest.raises(WcnbError, match=r"seeds.jsonl:5: field 'instruction'"): evol.pick_seeds(EvolConfig(seeds=str(bad)))
