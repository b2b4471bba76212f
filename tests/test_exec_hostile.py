"""Hostile programs in the sandbox: each must end as failed/timeout without harming the machine, other jobs or the harness."""
import os, socket, subprocess, threading, time, uuid
from pathlib import Path
import pytest
from wizardcoder_nb.exec import Sandbox, Limits, run_program, run_programs
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
