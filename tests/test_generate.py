"Benchmark generation: post-processing on real model outputs, samples the evaluator accepts, resumable embedded runs."
import importlib.util, json
from pathlib import Path
import pytest
from wizardcoder_nb.core import Problem, WcnbError
from wizardcoder_nb.data import load_benchmark
from wizardcoder_nb.templates import build_prompt, format_prompt, humaneval_instruction
from wizardcoder_nb.generate import (GenerateConfig, generate_samples, process_generation, wizardcoder_postprocess,
                                     meta_path, reprocess_samples, sample_field, cli_generate)

def released(restricted, name):
    return [json.loads(l) for l in open(restricted(f'wizardcoder/{name}'))]

def response_of(all_code): return all_code.split('### Response:')[-1]

# Real answers of the embedded Qwen2.5-Coder-0.5B-Instruct (chat template, greedy), copied from our runs.
# HumanEval/5 and Mbpp/11 were generated with stop sequences ending the answer at its first closing fence (so the block is
# unclosed); 'add' is an unstopped answer (64 tokens) to "Write a python function to add two numbers."
QWEN_ANSWERS = {
    'HumanEval/5': 'Certainly! Below is a Python script that defines a function `intersperse` to insert a specified `delimeter` between every two consecutive elements of a given list of integers.\n\n```python\nfrom typing import List\n\ndef intersperse(numbers: List[int], delimeter: int) -> List[int]:\n    """ Insert a number \'delimeter\' between every two consecutive elements of input list `numbers\'\n    >>> intersperse([], 4)\n    []\n    >>> intersperse([1, 2, 3], 4)\n    [1, 4, 2, 4, 3]\n    """\n    if not numbers:\n        return []\n\n    # Initialize the result list with the first element\n    result = [numbers[0]]\n\n    # Iterate over the rest of the numbers\n    for number in numbers[1:]:\n        # Append the delimiter to the result list\n        result.append(delimeter)\n        # Append the current number to the result list\n        result.append(number)\n\n    return result\n',
    'Mbpp/11': 'To remove the first and last occurrence of a given character from a string, you can use Python\'s built-in string methods. Here\'s a function that accomplishes this:\n\n```python\ndef remove_Occ(s, char):\n    # Remove the first occurrence of the character\n    s = s.replace(char, "")\n    \n    # Remove the last occurrence of the character\n    s = s.replace(char, "")\n    \n    return s\n',
    'add': "Certainly! Below is a simple Python function that adds two numbers:\n\n```python\ndef add_numbers(a, b):\n"
           "    return a + b\n\n# Example usage:\nresult = add_numbers(5, 3)\nprint(result)  # Output: 8\n```\n\n"
           "This function takes two parameters, `a`",
}

@pytest.mark.parametrize('name,bench', [('T0.0_N1_reproduce.results.59.8.jsonl', 'humaneval'),
                                        ('T0.0_N1_humaneval_wizardcoder33b_v1.1_vllm.jsonl', 'humaneval'),
                                        ('T0.0_N1_MBPP_wizardcoder33b_v1.1_vllm.jsonl', 'mbpp+')])
def test_wizardcoder_rules_reproduce_their_released_samples(restricted, name, bench):
    rows = released(restricted, name)
    assert [wizardcoder_postprocess(response_of(r['all_code']), bench) for r in rows] == [r['completion'] for r in rows]

def test_our_rules_give_parseable_code_defining_the_entry_point(restricted):
    "On every released WizardCoder-15B answer, our processed code parses and defines the entry point, with no prints left."
    import ast
    he = {p.task_id: p for p in load_benchmark('humaneval')}
    for r in released(restricted, 'T0.0_N1_reproduce.results.59.8.jsonl'):
        p = he[r['task_id']]
        code = process_generation(response_of(r['all_code']), p, build_prompt(p, 'wizardcoder', tabs=False))['completion']
        tree = ast.parse(p.prompt + code)
        assert p.entry_point in {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}, r['task_id']
        assert not any(isinstance(n, ast.Expr) and isinstance(n.value, ast.Call) for n in ast.parse(code).body), r['task_id']

def test_qwen_answers_are_cut_to_the_function():
    he = {p.task_id: p for p in load_benchmark('humaneval')}
    mb = {p.task_id: p for p in load_benchmark('mbpp')}
    p = he['HumanEval/5']
    code = process_generation(QWEN_ANSWERS['HumanEval/5'], p, build_prompt(p, 'chat'))['completion']
    assert code.startswith('from typing import List\n\ndef intersperse(') and code.endswith('    return result')
    p = mb['Mbpp/11']
    sol = process_generation(QWEN_ANSWERS['Mbpp/11'], p, build_prompt(p, 'chat'))['solution']
    assert sol.startswith('def remove_Occ(s, char):') and sol.endswith('    return s') and '```' not in sol
    p = Problem(benchmark='mbpp', task_id='Mbpp/0', prompt='Write a python function to add two numbers.',
                entry_point='add_numbers', meta=dict(test_list=['assert add_numbers(1, 2) == 3']))
    sol = process_generation(QWEN_ANSWERS['add'], p, build_prompt(p, 'chat'))['solution']
    assert sol == 'def add_numbers(a, b):\n    return a + b'

def _answers_from_reference(problems, wrap):
    "Chat-like answers whose code block holds the reference solution (prose around it, an example call inside)."
    return {p.task_id: f"Here is the solution:\n\n```python\n{wrap(p)}\n\n# Example usage\nprint('demo')\n```\n\nIt works." for p in problems}

def _write_samples(path, problems, answers, template='chat'):
    with open(path, 'w') as f:
        for p in problems:
            fields = process_generation(answers[p.task_id], p, build_prompt(p, template))
            f.write(json.dumps(dict(task_id=p.task_id, sample_index=0, raw=answers[p.task_id], **fields)) + '\n')

@pytest.mark.parametrize('bench,field', [('humaneval', 'completion'), ('mbpp', 'solution')])
def test_reference_answers_pass_through_generate_and_evaluate(tmp_path, bench, field):
    "Reference code wrapped as a chat answer → our post-processing → the evaluator: every sample passes."
    from wizardcoder_nb.evaluate import evaluate_samples
    problems = load_benchmark(bench)[:12]
    wrap = (lambda p: p.prompt + p.canonical_solution) if bench == 'humaneval' else (lambda p: p.canonical_solution.replace('\r', ''))
    s = tmp_path / 'samples.jsonl'
    _write_samples(s, problems, _answers_from_reference(problems, wrap))
    assert all(field in json.loads(l) for l in open(s)) and sample_field(bench) == field
    summary = evaluate_samples(bench, s, tmp_path / 'eval', ks=(1,))
    assert summary['verdicts'] == {'passed': len(problems)}, summary['verdicts']

def test_ds1000_reference_answers_pass(tmp_path):
    "DS-1000 reference code as a chat answer → the `<code>` slot completion → evaluated: passes (libraries present)."
    from wizardcoder_nb.evaluate import evaluate_samples
    probs = [p for p in load_benchmark('ds1000') if p.meta['library'] in ('Pandas', 'Numpy')][:6]
    s = tmp_path / 'samples.jsonl'
    _write_samples(s, probs, {p.task_id: f"Use this:\n```python\n{p.canonical_solution}\n```\nDone." for p in probs})
    summary = evaluate_samples('ds1000', s, tmp_path / 'eval', ks=(1,))
    if summary['verdicts'].get('skipped'): pytest.skip(f"DS-1000 libraries missing: {summary['skipped_tasks']}")
    assert summary['verdicts'] == {'passed': len(probs)}, summary

STRLEN = {  # full-program chat answers to MultiPL-E's HumanEval_23_strlen: right, and wrong (always 0)
    'sh': ("```bash\nstrlen() {{\n    echo {}\n}}\n\nstrlen \"abc\"\n```", '${#1}', '0'),
    'js': ("Here:\n```javascript\nfunction strlen(string){{\n  return {};\n}}\n\nconsole.log(strlen('abc'));\n```", 'string.length', '0'),
    'rs': ("```rust\nfn strlen(string: String) -> isize {{\n    {}\n}}\n\nfn main() {{\n    println!(\"{{}}\", strlen(String::from(\"ab\")));\n}}\n```",
           'string.len() as isize', '0'),
    'cpp': ("```cpp\n#include <string>\nlong string_length(std::string string) {{\n    return {};\n}}\n\nint main() {{ return 0; }}\n```",
            'string.size()', '0'),
    'lua': ("```lua\nlocal function strlen(string)\n    return {}\nend\n\nprint(strlen('abc'))\n```", '#string', '0'),
    'rb': ("```ruby\ndef strlen(string)\n  {}\nend\n\nputs strlen('abc')\n```", 'string.length', '0'),
    'r': ("```r\nstrlen <- function(string) {{\n    {}\n}}\n```", 'nchar(string)', '0'),
    'rkt': ("```racket\n#lang racket\n(define (strlen string)\n  {})\n\n(strlen \"abc\")\n```", '(string-length string)', '0'),
    'scala': ("```scala\nobject Problem {{\n    def strlen(string : String) : Long = {{\n        {}\n    }}\n"
              "    def main(args: Array[String]) = println(strlen(\"ab\"))\n}}\n```", 'string.length.toLong', '0L'),
    'cs': ("```csharp\nclass Problem {{\n    public static long Strlen(string str) {{\n        return {};\n    }}\n"
           "    public static void Main(string[] args) {{ }}\n}}\n```", 'str.Length', '0'),
    'd': ("```d\nlong strlen(string string)\n{{\n    return {};\n}}\n\nvoid main() {{}}\n```", 'string.length', '0'),
    'ts': ("```typescript\nfunction strlen(string: string): number {{\n  return {};\n}}\n```", 'string.length', '0'),
}

@pytest.mark.parametrize('lang', list(STRLEN))
def test_multipl_e_answers_become_completions_the_evaluator_runs(tmp_path, lang):
    "A whole program in a chat answer → the text after the prompt's signature, cut at the stop tokens → right passes, wrong fails."
    from wizardcoder_nb.evaluate import evaluate_samples
    from wizardcoder_nb.exec import available_languages
    if not available_languages().get(lang): pytest.skip(f'no {lang} toolchain')
    p = next(p for p in load_benchmark(f'multipl-e-{lang}') if p.task_id == 'HumanEval_23_strlen')
    tpl, right, wrong = STRLEN[lang]
    s = tmp_path / 'samples.jsonl'
    with open(s, 'w') as f:
        for body in (right, wrong):
            f.write(json.dumps(dict(task_id=p.task_id, **process_generation(tpl.format(body), p, build_prompt(p, 'chat')))) + '\n')
    rows = [json.loads(l) for l in open(s)]
    assert right in rows[0]['completion'] and 'main' not in rows[0]['completion'] and 'console.log' not in rows[0]['completion']
    evaluate_samples(f'multipl-e-{lang}', s, tmp_path / 'eval', ks=(1,))
    verdicts = [json.loads(l)['verdict'] for l in open(tmp_path / 'eval' / 'results.jsonl')]
    assert verdicts[0] == 'passed' and verdicts[1] != 'passed', verdicts

def test_released_15b_generations_score_as_published(restricted, tmp_path):
    "WizardCoder's own rules on their 164 greedy answers give their published 98/164 through our evaluator; ours no fewer."
    from wizardcoder_nb.evaluate import evaluate_samples
    rows = released(restricted, 'T0.0_N1_reproduce.results.59.8.jsonl')
    he = {p.task_id: p for p in load_benchmark('humaneval')}
    scores = {}
    for rules in ('wizardcoder', 'wcnb'):
        s = tmp_path / f'{rules}.jsonl'
        with open(s, 'w') as f:
            for r in rows:
                p = he[r['task_id']]
                fields = process_generation(response_of(r['all_code']), p, build_prompt(p, 'wizardcoder', tabs=False), rules)
                f.write(json.dumps(dict(task_id=r['task_id'], **fields)) + '\n')
        scores[rules] = evaluate_samples('humaneval', s, tmp_path / rules, ks=(1,))['verdicts'].get('passed', 0)
    assert scores['wizardcoder'] == 98 and scores['wcnb'] >= 98, scores

def test_resume_refuses_other_settings(tmp_path):
    out = tmp_path / 's.jsonl'
    meta_path(out).write_text(json.dumps(dict(settings=dict(benchmark='humaneval', **GenerateConfig().model_dump()))))
    with pytest.raises(WcnbError, match=r"temperature: 0\.0 → 0\.2"):
        generate_samples(GenerateConfig(temperature=0.2), 'humaneval', out)
    out.write_text('{"task_id": "HumanEval/0", "completion": "x"}\n'); meta_path(out).unlink()
    with pytest.raises(WcnbError, match='meta.json is missing'):
        generate_samples(GenerateConfig(data_dir=str()), 'humaneval', out)

def test_greedy_with_n_above_one_is_refused(tmp_path):
    with pytest.raises(WcnbError, match="field 'n'"):
        generate_samples(GenerateConfig(n=3), 'humaneval', tmp_path / 's.jsonl')

needs_llama = pytest.mark.skipif(importlib.util.find_spec('llama_cpp') is None, reason='llama-cpp-python not installed')

@needs_llama
def test_embedded_end_to_end_resumes_and_evaluates(tmp_path):
    "Two HumanEval problems with the embedded model: samples, run record, an interrupted run resumed, evaluator accepts."
    from wizardcoder_nb.evaluate import evaluate_samples
    cfg = GenerateConfig(limit=2, max_new_tokens=40, chunk=1,
                         engine=dict(cache_path=str(tmp_path / 'cache.sqlite'), n_threads=1))
    out = tmp_path / 'run' / 'samples.jsonl'
    generate_samples(cfg, 'humaneval', out, progress=False)
    rows = [json.loads(l) for l in open(out)]
    assert [r['task_id'] for r in rows] == ['HumanEval/0', 'HumanEval/1']
    assert all(r['raw'] and 'completion' in r and r['finish_reason'] in ('stop', 'length') and r['seed'] == 0 for r in rows)
    meta = json.loads(meta_path(out).read_text())
    assert meta['complete'] and meta['samples'] == 2 and meta['sessions'][0]['usage']['total']['requests'] == 2
    # lose the second sample (a run killed mid-write), resume: only it is regenerated, from the engine cache
    out.write_text(out.read_text().split('\n')[0] + '\n{"task_id": "HumanEval/1", "compl')
    generate_samples(cfg, 'humaneval', out, progress=False)
    again = [json.loads(l) for l in open(out)]
    strip = lambda rs: [{k: v for k, v in r.items() if k not in ('cached', 'seconds')} for r in rs]
    assert strip(again) == strip(rows) and again[1]['cached'] and not again[0]['cached']
    summary = evaluate_samples('humaneval', out, tmp_path / 'eval', ks=(1,))
    assert summary['n_samples'] == 2 and sum(summary['verdicts'].values()) == 2

@needs_llama
def test_cli_generate_writes_default_layout(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / 'gen.yaml'
    cfg.write_text(f"generate:\n  max_new_tokens: 8\n  engine:\n    cache_path: {tmp_path / 'c.sqlite'}\n    n_threads: 1\n"
                   "evolve:\n  rounds: 3\n")
    path = cli_generate(benchmark='mbpp', limit=1, config=cfg, quiet=True)
    assert path == Path('runs/default/eval/mbpp/embedded-chat-greedy-n1/samples.jsonl')
    row = json.loads(path.read_text())
    assert row['task_id'] == 'Mbpp/11' and 'solution' in row and row['finish_reason'] == 'length'
    bad = tmp_path / 'bad.yaml'; bad.write_text('generate:\n  temprature: 0.2\n')
    with pytest.raises(WcnbError, match=r"bad\.yaml:2: field 'generate\.temprature'"): cli_generate(config=bad)

@needs_llama
def test_wizardcoder_template_goes_through_complete(tmp_path):
    "The WizardCoder template is a raw completion prompt (tabs rewritten); the raw answer is kept beside the code."
    cfg = GenerateConfig(template='wizardcoder', limit=1, max_new_tokens=12,
                         engine=dict(cache_path=str(tmp_path / 'c.sqlite'), n_threads=1))
    out = generate_samples(cfg, 'humaneval', tmp_path / 's.jsonl', progress=False)
    row = json.loads(out.read_text())
    assert row['task_id'] == 'HumanEval/0' and row['raw'] and '\t' not in row['completion'] and row['tokens'] <= 12
    meta = json.loads(meta_path(out).read_text())
    assert meta['settings']['template'] == 'wizardcoder' and meta['field'] == 'completion'


def test_a_second_writer_to_the_same_samples_is_refused(tmp_path):
    "Two `wcnb generate` runs appending to one file would interleave duplicates: the second stops before any work."
    from wizardcoder_nb.core import single_writer
    out = tmp_path / 'samples.jsonl'
    with single_writer(f'{out}.lock', 'held by the first writer'):
        with pytest.raises(WcnbError, match=r'another `wcnb generate` is writing these samples \(lock .*samples.jsonl.lock\)'):
            generate_samples(GenerateConfig(limit=1), 'humaneval', out, progress=False)
    assert not out.exists()
