"""Exports (wizardcoder_nb.export): the dataset folder loads with `datasets.load_dataset` and gives every field back;
the tiny tuned model (a few LoRA steps on the embedded Qwen2.5-Coder-0.5B, merged) converts to GGUF and answers a
prompt through llama.cpp (`llm.get_engine('llamacpp:<file>')`) as the transformers model does; the CLI verbs work
offline and say what they would push."""
import json, subprocess
from pathlib import Path
import pytest
from wizardcoder_nb.core import read_jsonl, write_jsonl
from wizardcoder_nb import export as X

ROOT = Path(__file__).resolve().parent.parent

# -- the dataset ----------------------------------------------------------------------------------------------------

def _evol_run(root: Path) -> Path:
    "A run folder laid out as `wcnb run` leaves it, its rows shaped as `evolve` writes them (test inputs)."
    ev, exec_full = root / 'data' / 'r' / 'evol', dict(code=True, runs=True, has_tests=True, tests_pass=True,
                                                       verdict='passed', why='')
    seeds = [dict(id=f'wcnb-00{i}', parent_id=None, root_id=f'wcnb-00{i}', round=0, method=None,
                  instruction=f'Task {i}.', input='',
                  output=f'def f{i}():\n    return {i}', evolver=None, responder='embedded', params={},
                  created='2026-01-01T00:00:00+00:00',
                  tokens=dict(instruction=3, output=9), exec=exec_full) for i in range(3)]
    kept = [dict(s, id=f"{s['id']}.1", parent_id=s['id'], round=1, method='deepen', evolver='embedded',
                 instruction=f"Harder {s['instruction']}",
                 params=dict(temperature=1.0, max_tokens=128), exec=dict(code=False),
                 evolve_finish='stop') for s in seeds[:2]]
    gone = [dict(kept[0], id='wcnb-002.1', parent_id='wcnb-002', root_id='wcnb-002', reason='no_information_gain',
                 detail='Equal')]
    write_jsonl(ev / 'round_0.jsonl', seeds); write_jsonl(ev / 'round_1.jsonl',
                                                          kept); write_jsonl(ev / 'rejected_1.jsonl', gone)
    (ev / 'manifest.json').write_text(json.dumps(dict(seeds=dict(path='data/seeds/wcnb_seeds.jsonl', sha256='ab',
                                                                 used=3),
                                                      models=dict(evolver='embedded', responder='embedded',
                                                                  judge='embedded'))))
    train = [dict(instruction=r['instruction'], input='', output=r['output'], id=r['id'],
                  round=r['round']) for r in seeds + kept]
    write_jsonl(root / 'data' / 'r' / 'train.jsonl', train); write_jsonl(root / 'data' / 'r' / 'train.clean.jsonl',
                                                                         train[1:])
    run = root / 'runs' / 'r'; run.mkdir(parents=True)
    (run / 'run.json').write_text(json.dumps(dict(run='r', paths=dict(data='data/r', models='models/r'))))
    return run


def test_exported_dataset_loads_with_datasets_and_round_trips_every_field(tmp_path):
    from datasets import load_dataset
    run = _evol_run(tmp_path)
    rep = X.export_dataset(run, tmp_path / 'out')
    assert rep['rows'] == dict(train=4, merged=5, evolved=5, eliminated=1) and rep['licence'] == 'apache-2.0'
    sources = dict(train=['train.clean.jsonl'], merged=['train.jsonl'],
                   evolved=['evol/round_0.jsonl', 'evol/round_1.jsonl'],
                   eliminated=['evol/rejected_1.jsonl'])
    for config, files in sources.items():
        want = [r for f in files for r in read_jsonl(tmp_path / 'data' / 'r' / f)]
        got = X.load_exported(tmp_path / 'out', config)
        assert len(got) == len(want), config
        for g, w in zip(got, want):
            assert {k: g[k] for k in w} == w, (config, w['id'] if 'id' in w else w)  # every field, every row
            assert all(g[k] is None for k in set(g) - set(w))                     # columns other rows have: null here
    # the default config is the cleaned training set, straight from load_dataset with no name
    assert load_dataset(str(tmp_path / 'out'), split='train').num_rows == 4
    card = (tmp_path / 'out' / 'README.md').read_text()
    for text in ('license: apache-2.0', '3 seeds used', 'evolver: `embedded`', 'no_information_gain', 'rule 1:',
                 'No decontamination audit', '`parent_id`'):
        assert text in card, text


def test_export_data_cli_offline_says_what_it_would_push(tmp_path, wcnb_exe):
    run = _evol_run(tmp_path)
    r = subprocess.run([wcnb_exe, 'export-data', str(run), '--out', str(tmp_path / 'o'), '--repo-id', 'me/evol'],
                       capture_output=True, text=True, env={**__import__('os').environ, 'HF_HUB_OFFLINE': '1'})
    assert r.returncode == 0, r.stderr
    push = json.loads(r.stdout)['push']
    assert push['pushed'] is False and 'HF_HUB_OFFLINE' in push['why']
    assert 'README.md' in push['files'] and push['bytes'] > 0
    r = subprocess.run([wcnb_exe, 'export-data', str(tmp_path / 'runs' / 'missing')], capture_output=True, text=True)
    assert r.returncode == 2 and 'run directory not found' in r.stderr


def test_seeds_from_an_exported_folder(tmp_path):
    from wizardcoder_nb.data import load_seeds
    X.export_dataset(_evol_run(tmp_path), tmp_path / 'out')
    seeds = load_seeds(X.seeds_from_hub(str(tmp_path / 'out'), tmp_path / 'seeds.jsonl', config='evolved'))
    assert [s.id for s in seeds][:3] == ['wcnb-000', 'wcnb-001',
                                         'wcnb-002'] and seeds[3].instruction == 'Harder Task 0.'
    with pytest.raises(Exception, match='offline'): X.seeds_from_hub('nobody/none', tmp_path / 'x.jsonl')

# -- the tuned tiny model, as GGUF, through llama.cpp ---------------------------------------------------------------

@pytest.fixture(scope='module')
def tuned_run(tmp_path_factory):
    "A run whose model is the embedded model after 2 LoRA steps on 8 MBPP training rows, merged (fp32)."
    from wizardcoder_nb import train as T
    from wizardcoder_nb.data import shipped_dir
    root = tmp_path_factory.mktemp('tuned')
    rows = [r for r in read_jsonl(shipped_dir() / 'mbpp' / 'mbpp.jsonl.gz') if 601 <= r['task_id'] <= 608]
    data = write_jsonl(root / 'train.jsonl', [dict(instruction=r['text'], input='', output=r['code']) for r in rows])
    cfg = T.TrainConfig(max_length=64, max_steps=2, grad_accum=1, save_steps=2, warmup_steps=0, lr=1e-3,
                        cache_dir=root / 'cache')
    s = T.train_model(cfg, data, root / 'models' / 'tiny')
    assert s['complete'] and (root / 'models' / 'tiny' / 'merged' / 'config.json').exists()
    run = root / 'runs' / 'tiny'
    ev = run / 'eval' / 'humaneval' / 'wizardcoder'; ev.mkdir(parents=True)
    (ev / 'summary.json').write_text(json.dumps(dict(n_tasks=164, n_tasks_with_samples=5, settings=dict(timeout=10.0),
                                                     pass_at_k={'1': dict(value=0.4, ci95=[0.0, 0.8], n_tasks=5)})))
    (run / 'run.json').write_text(json.dumps(dict(run='tiny',
                                                  variants=[dict(tag='wizardcoder', model_dir='models/tiny')])))
    return run


def test_gguf_of_the_tuned_model_answers_through_llamacpp_like_transformers(tuned_run, tmp_path):
    import torch
    from llama_cpp import Llama
    from wizardcoder_nb.assets import gguf_summary
    from wizardcoder_nb.llm import Sampling, get_engine
    from wizardcoder_nb.templates import format_prompt
    from wizardcoder_nb.finetuned import load_finetuned
    rep = X.export_model(tuned_run, gguf=True, out=tmp_path)
    g = Path(rep['gguf'])
    assert gguf_summary(g)['architecture'] == 'qwen2' and gguf_summary(g)['tensors'] > 200
    assert 'FROM ./' + g.name in (tmp_path / 'Modelfile').read_text()
    card = Path(rep['card']).read_text()
    assert 'name: pass@1 (5 of 164 problems)' in card and '(**subset**: not a benchmark score)' in card
    tok, model = load_finetuned(tuned_run.parent.parent / 'models' / 'tiny')
    prompt = format_prompt('Write a Python function that returns the square of x.')
    vocab = Llama(str(g), vocab_only=True, verbose=False)
    for text in (prompt, 'def f(x):\n    return x ** 2  # ünïcode, 数字, <|endoftext|>'):  # as transformers
        assert vocab.tokenize(text.encode(), add_bos=False, special=True) == tok(text)['input_ids'], text
    with torch.no_grad():
        ids = model.generate(**tok(prompt, return_tensors='pt'), max_new_tokens=8, do_sample=False)[0]
    want = tok.decode(ids[len(tok(prompt)['input_ids']):], skip_special_tokens=True)
    with get_engine(f'llamacpp:{g}', concurrency=1, cache_path=tmp_path / 'llm.sqlite', progress=False) as eng:
        [c] = eng.complete([prompt], Sampling(temperature=0, max_tokens=8), stage='test')
    got = c.choices[0].text
    print(f'\ntransformers: {want!r}\nllama.cpp:    {got!r}')
    assert got.strip() and got[:12] == want[:12]  # f16 weights: the greedy answer starts the same
