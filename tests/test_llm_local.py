"LLM engine with real local models: the embedded GGUF in process, and llama.cpp's OpenAI-compatible server."
import socket, subprocess, sys, time
import pytest
from wizardcoder_nb import assets
from wizardcoder_nb.llm import Sampling, get_engine

llama_cpp = pytest.importorskip('llama_cpp')

CONVS = [[{'role': 'user', 'content': 'Reply with the single word: yes'}],
         [{'role': 'system', 'content': 'You answer in one word.'}, {'role': 'user', 'content': 'Capital of France?'}]]
GREEDY = Sampling(max_tokens=6)

def test_embedded_answers_a_few_token_prompt(tmp_path):
    with get_engine('embedded', cache_path=tmp_path / 'c.sqlite', progress=False) as eng:
        outs = eng.chat(CONVS, GREEDY, stage='t')
        assert all(o.text.strip() and 0 < o.completion_tokens <= 6 and o.prompt_tokens > 5 for o in outs)
        assert all(o.finish_reason in ('stop', 'length') for o in outs)
        assert 'paris' in outs[1].text.lower()
        raw = eng.complete(['def add(a, b):\n    return'], Sampling(max_tokens=8, stop=['\n']))[0]
        assert raw.text.strip() and '\n' not in raw.text
        assert eng.usage()['total']['requests'] == 3
    with get_engine('embedded', cache_path=tmp_path / 'c.sqlite', progress=False) as eng:
        again = eng.chat(CONVS, GREEDY, stage='t')
        assert [o.text for o in again] == [o.text for o in outs] and all(o.cached for o in again)
        assert eng.usage()['total']['requests'] == 0

def test_embedded_n_choices_are_seeded(tmp_path):
    s = Sampling(max_tokens=6, temperature=1.0, n=2, seed=5)
    with get_engine('embedded', cache_path=tmp_path / 'a.sqlite', progress=False) as eng: a = eng.complete(['# one word:'], s)[0]
    with get_engine('embedded', cache_path=tmp_path / 'b.sqlite', progress=False) as eng: b = eng.complete(['# one word:'], s)[0]
    assert len(a.choices) == 2 and [c.text for c in a.choices] == [c.text for c in b.choices]

def free_port():
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

@pytest.fixture(scope='module')
def llama_server():
    import httpx
    port = free_port()
    p = subprocess.Popen([sys.executable, '-m', 'llama_cpp.server', '--model', str(assets.embedded_gguf()), '--model_alias', 'qwen',
                          '--host', '127.0.0.1', '--port', str(port), '--n_ctx', '2048', '--verbose', 'False'],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url, deadline = f'http://127.0.0.1:{port}/v1', time.time() + 120
    while time.time() < deadline:
        if p.poll() is not None: pytest.fail(f'llama_cpp.server exited: {p.stderr.read()[-2000:]}')
        try:
            if httpx.get(url + '/models', timeout=1).status_code == 200: break
        except httpx.HTTPError: time.sleep(0.3)
    else: p.kill(); pytest.fail('llama_cpp.server did not start in 120 s')
    yield url
    p.terminate(); p.wait(10)

def test_openai_backend_against_llama_cpp_server(llama_server, tmp_path):
    plain = dict(top_k=0, min_p=0.0, repeat_penalty=1.0)  # the server's extra samplers off, as in process
    with get_engine('openai:qwen', base_url=llama_server, extra_body=plain, concurrency=2, cache_path=tmp_path / 'c.sqlite', progress=False) as api:
        via_api = api.chat(CONVS, GREEDY)
        two = api.complete(['# one word:'], Sampling(max_tokens=4, temperature=1.0, n=2))[0]
        assert api.usage()['total']['requests'] == 3 and api.usage()['total']['prompt_tokens'] > 10
    with get_engine('embedded', cache_path=tmp_path / 'c.sqlite', progress=False) as eng: local = eng.chat(CONVS, GREEDY)
    assert [o.text for o in via_api] == [o.text for o in local]  # same GGUF, template and greedy decoding
    assert len(two.choices) == 2  # the server ignores n: the engine topped the choices up

def test_embedded_json_schema_reply_is_json_of_the_schema(tmp_path):
    "`Sampling.json_schema` holds the embedded model to a JSON reply of the schema (llama.cpp's grammar)."
    import json
    schema = {'type': 'object', 'properties': {'question': {'type': 'string'}}, 'required': ['question']}
    conv = [{'role': 'user', 'content': 'Make this programming question a bit harder: "Reverse a string." '
                                        'Reply as JSON with the new question.'}]
    with get_engine('embedded', cache_path=tmp_path / 'c.sqlite', progress=False) as eng:
        out = eng.chat([conv], Sampling(max_tokens=120, json_schema=schema), stage='t')[0]
        plain = eng.chat([conv], Sampling(max_tokens=8), stage='t')[0]
    assert out.finish_reason == 'stop', out
    assert set(json.loads(out.text)) == {'question'} and isinstance(json.loads(out.text)['question'], str)
    assert not plain.cached   # another request: the schema is part of the cache key
