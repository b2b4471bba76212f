"LLM engine against a real local OpenAI-compatible server (tests/openai_fault_server.py): cache, resume, budgets, retries."
import json, os, signal, sqlite3, subprocess, sys, textwrap, time
from pathlib import Path
import pytest
from wizardcoder_nb.core import WcnbError
from wizardcoder_nb.llm import (BudgetExceeded, DryRun, LLMConfig, LLMRequestError, Sampling, get_engine)

sys.path.insert(0, str(Path(__file__).parent))
from openai_fault_server import FaultServer, reply_for

ROOT = Path(__file__).resolve().parent.parent

def engine(url, tmp_path, **kw):
    opts = dict(base_url=url, cache_path=tmp_path / 'cache.sqlite', concurrency=4, backoff=0.02, progress=False)
    return get_engine('openai:test-model', **{**opts, **kw})

def prompts(n, tag='p'): return [f'{tag} {i}' for i in range(n)]

def test_cache_hit_on_rerun_costs_zero_calls(tmp_path):
    with FaultServer(latency=0.01) as url:
        srv_attempts = lambda: sum(FaultServer_ledger(url)['attempts'].values())
        ps = prompts(10)
        with engine(url, tmp_path) as eng: first = eng.complete(ps, Sampling(max_tokens=4), stage='gen')
        assert [c.text for c in first] == [reply_for(p) for p in ps] and not any(c.cached for c in first)
        assert srv_attempts() == 10
        with engine(url, tmp_path) as eng:
            again = eng.complete(ps, Sampling(max_tokens=4), stage='gen')
            u = eng.usage()['total']
        assert srv_attempts() == 10, 'a rerun must not call the server'
        assert all(c.cached for c in again) and [c.text for c in again] == [c.text for c in first]
        assert (u['requests'], u['cached']) == (0, 10)
        with engine(url, tmp_path) as eng: eng.complete(ps[:2], Sampling(max_tokens=4, seed=1))
        assert srv_attempts() == 12, 'another seed is another request'

def FaultServer_ledger(url):
    import httpx
    return httpx.get(url + '/stats').json()

def test_duplicates_in_one_call_are_sent_once(tmp_path):
    with FaultServer() as url, engine(url, tmp_path) as eng:
        outs = eng.chat([[{'role': 'user', 'content': 'same'}]] * 5)
        assert len(outs) == 5 and len({o.text for o in outs}) == 1
        assert FaultServer_ledger(url)['attempts'] == {'same': 1}

DRIVER = textwrap.dedent('''
    import json, sys
    from wizardcoder_nb.llm import get_engine, Sampling
    url, cache, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with get_engine('openai:test-model', base_url=url, cache_path=cache, concurrency=4, progress=False) as eng:
        outs = eng.complete([f'job {i}' for i in range(n)], Sampling(max_tokens=4), stage='resume')
        print(json.dumps(dict(texts=[o.text for o in outs], cached=[o.cached for o in outs], usage=eng.usage()['total'])))
''')

def cache_rows(path):
    if not Path(path).exists(): return 0
    with sqlite3.connect(path, timeout=30) as db:
        try: return db.execute('SELECT COUNT(*) FROM answers').fetchone()[0]
        except sqlite3.OperationalError: return 0

def test_kill_mid_run_then_resume_answers_each_request_once(tmp_path):
    n, cache = 60, tmp_path / 'cache.sqlite'
    drv = tmp_path / 'driver.py'; drv.write_text(DRIVER)
    with FaultServer(latency=0.1) as url:
        p = subprocess.Popen([sys.executable, str(drv), url, str(cache), str(n)], stdout=subprocess.PIPE, cwd=ROOT)
        deadline = time.time() + 60
        while cache_rows(cache) < 12 and time.time() < deadline: time.sleep(0.02)
        os.kill(p.pid, signal.SIGKILL); p.wait()
        saved = cache_rows(cache)
        assert 12 <= saved < n, saved
        r = subprocess.run([sys.executable, str(drv), url, str(cache), str(n)], capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert r.returncode == 0, r.stderr
        out = json.loads(r.stdout)
        led = FaultServer_ledger(url)
    assert out['texts'] == [reply_for(f'job {i}') for i in range(n)]  # same outputs as an uninterrupted run, in order
    assert sum(out['cached']) == saved and out['usage']['requests'] == n - saved  # nothing saved was asked again
    assert cache_rows(cache) == n
    good = led['good']
    assert set(good) == {f'job {i}' for i in range(n)}
    assert sum(good.values()) - n <= 4, 'only requests in flight at the kill (concurrency 4) may be answered twice'

def test_budget_max_requests_stops_cleanly_and_resumes(tmp_path):
    ps = prompts(12)
    with FaultServer() as url:
        with engine(url, tmp_path, max_requests=5, concurrency=3) as eng:
            with pytest.raises(BudgetExceeded, match=r'max_requests=5 reached.*5 of 12 new answers were saved'):
                eng.complete(ps, Sampling(max_tokens=4))
            assert eng.usage()['total']['requests'] == 5
            with pytest.raises(BudgetExceeded): eng.complete(ps, Sampling(max_tokens=4))  # spent: nothing more is sent
        assert sum(FaultServer_ledger(url)['good'].values()) == 5
        with engine(url, tmp_path) as eng:
            outs = eng.complete(ps, Sampling(max_tokens=4))
            assert eng.usage()['total']['requests'] == 7 and sum(o.cached for o in outs) == 5

def test_budget_max_cost_never_overspends(tmp_path):
    price = {'test-model': {'input': 0, 'output': 1000}}  # server reports 3 completion tokens: $0.003 a request
    with FaultServer() as url, engine(url, tmp_path, prices=price, max_cost=0.01, concurrency=2) as eng:
        with pytest.raises(BudgetExceeded, match='max_cost'): eng.complete(prompts(10), Sampling(max_tokens=3))
        u = eng.usage()['total']
        assert u['requests'] == 3 and u['cost'] == pytest.approx(0.009) and u['cost'] <= 0.01

def test_dry_run_estimates_and_sends_nothing(tmp_path):
    with FaultServer() as url:
        with engine(url, tmp_path) as eng: eng.complete(prompts(2), Sampling(max_tokens=4))
        with engine(url, tmp_path, dry_run=True, prices={'test-model': {'input': 1, 'output': 2}}) as eng:
            est = eng.estimate(prompts(5), Sampling(max_tokens=4), kind='complete')
            assert (est['requests'], est['cached'], est['to_send'], est['max_completion_tokens']) == (5, 2, 3, 12)
            with pytest.raises(DryRun, match='3 requests to send') as e: eng.complete(prompts(5), Sampling(max_tokens=4))
            assert e.value.estimate == est
            assert len(eng.complete(prompts(2), Sampling(max_tokens=4))) == 2  # fully cached: a dry run still answers
        assert sum(FaultServer_ledger(url)['attempts'].values()) == 2

@pytest.mark.parametrize('spec,msg', [('', 'empty'), ('gpt-4o-mini', 'no backend prefix'), ('open-ai:gpt-4o', "unknown backend"),
                                      ('vllm:', 'no model'), ('llamacpp:/no/such.gguf', 'not found')])
def test_bad_spec_strings_are_clear_errors(spec, msg, tmp_path):
    with pytest.raises(WcnbError, match=msg): get_engine(spec, cache_path=tmp_path / 'c.sqlite')

def test_missing_api_key_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv('MY_KEY', raising=False)
    with pytest.raises(WcnbError, match='MY_KEY is not set'):
        get_engine('openai:gpt-4o-mini', api_key_env='MY_KEY', cache_path=tmp_path / 'c.sqlite')
    monkeypatch.setenv('MY_KEY', 'sk-test')
    get_engine('openai:gpt-4o-mini', api_key_env='MY_KEY', cache_path=tmp_path / 'c.sqlite').close()

def test_429_retry_after_is_honoured(tmp_path):
    with FaultServer(fail_first=1, fail_kind='429', retry_after=1) as url, engine(url, tmp_path) as eng:
        out = eng.complete(['slow down'], Sampling(max_tokens=4))
        assert out[0].text == reply_for('slow down') and eng.usage()['total']['retries'] == 1
        (t429, _, f), (tok, _, ok) = FaultServer_ledger(url)['events']
    assert (f, ok) == ('429', 'ok') and tok - t429 >= 1.0, tok - t429

def test_spent_retry_budget_is_a_clear_error(tmp_path):
    with FaultServer(fail_first=99, fail_kind='500') as url, engine(url, tmp_path, max_retries=2) as eng:
        with pytest.raises(LLMRequestError, match=r'failed after 3 attempts \(HTTP 500.*0 of 1 new answers were saved'):
            eng.complete(['doomed'], Sampling(max_tokens=4))
        assert FaultServer_ledger(url)['attempts'] == {'doomed': 3}

def test_rejected_request_is_not_retried(tmp_path):
    with FaultServer(fail_first=99, fail_kind='400') as url, engine(url, tmp_path) as eng:
        with pytest.raises(LLMRequestError, match=r'was rejected \(HTTP 400.*prompt is too long'): eng.complete(['huge'])
        assert FaultServer_ledger(url)['attempts'] == {'huge': 1}

def test_per_request_timeout(tmp_path):
    with FaultServer(latency=3) as url, engine(url, tmp_path, timeout=0.3, max_retries=1) as eng:
        t0 = time.time()
        with pytest.raises(LLMRequestError, match='failed after 2 attempts'): eng.complete(['hang'], Sampling(max_tokens=4))
        assert time.time() - t0 < 2.5

def test_faults_every_request_completed_exactly_once(tmp_path):
    ps = prompts(80, 'f')
    with FaultServer(latency=0.01, fault_rate=0.3, retry_after=0.05) as url, engine(url, tmp_path, concurrency=8, max_retries=10) as eng:
        outs = eng.chat([[{'role': 'user', 'content': p}] for p in ps], Sampling(max_tokens=4))
        led, u = FaultServer_ledger(url), eng.usage()['total']
    assert [o.text for o in outs] == [reply_for(p) for p in ps]
    assert led['good'] == {p: 1 for p in ps}, 'each request answered once, none lost'
    kinds = {f for fs in led['faults'].values() for f in fs}
    assert kinds == {'429', '500', 'drop', 'badjson'} and u['retries'] == sum(map(len, led['faults'].values()))

def test_n_choices_topped_up_when_server_ignores_n(tmp_path):
    with FaultServer() as url, engine(url, tmp_path, cache_path=tmp_path / 'a.sqlite') as eng: native = eng.complete(['k'], Sampling(n=3))
    with FaultServer(ignore_n=True) as url, engine(url, tmp_path, cache_path=tmp_path / 'b.sqlite') as eng:
        topped = eng.complete(['k'], Sampling(n=3))
        assert FaultServer_ledger(url)['attempts'] == {'k': 3}
    assert [c.text for c in topped[0].choices] == [c.text for c in native[0].choices] == [reply_for('k', i) for i in range(3)]

def test_bad_requests_are_clear_errors(tmp_path):
    with FaultServer() as url, engine(url, tmp_path) as eng:
        with pytest.raises(WcnbError, match=r'conversations\[1\]\[0\]'): eng.chat([[{'role': 'user', 'content': 'a'}], [{'content': 1}]])
        with pytest.raises(WcnbError, match=r'prompts\[0\]'): eng.complete([['not a string']])

def test_json_schema_needs_a_backend_that_can_hold_it(tmp_path):
    "transformers/vLLM have no grammar here: asking them for a JSON-schema reply is a clear error before anything runs."
    with get_engine('hf:some-org/some-model', cache_path=tmp_path / 'c.sqlite') as eng:
        with pytest.raises(WcnbError, match='json_schema replies need the llamacpp or openai backend'):
            eng.chat([[{'role': 'user', 'content': 'x'}]], Sampling(json_schema={'type': 'object'}))

def test_schema_is_part_of_the_request(tmp_path):
    "A request with a schema is another request (another cache key); one without keeps its old key."
    with FaultServer() as url, engine(url, tmp_path) as eng:
        eng.chat([[{'role': 'user', 'content': 'q'}]], Sampling(max_tokens=4))
        eng.chat([[{'role': 'user', 'content': 'q'}]], Sampling(max_tokens=4, json_schema={'type': 'object'}))
        assert FaultServer_ledger(url)['attempts'] == {'q': 2}
    legacy = dict(temperature=0.0, top_p=1.0, max_tokens=4, stop=None, n=1, seed=0)   # Sampling before json_schema existed
    assert Sampling(max_tokens=4).model_dump() == legacy   # what request_key hashes: unchanged without a schema
