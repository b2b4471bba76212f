"""Benchmark the LLM request engine (wizardcoder_nb.llm).

1. Throughput: a local OpenAI-compatible server (tests/openai_fault_server.py, its own process) answers every request
   after a fixed latency. For concurrency 1, 8 and 64 we time `Engine.complete` on N fresh requests and print
   requests/s against the ideal concurrency/latency (target >= 0.90) and against the raw `AsyncOpenAI` client
   driven at the same concurrency without the engine (same process, same server).
2. Faults: the same server injects ~10% faults (429 with Retry-After, 500, dropped connections, malformed JSON); we
   check from the server's own ledger that every request was answered exactly once and every output is correct.
3. Embedded model: completion tokens/s through `Engine.chat` against raw llama-cpp-python on the same prompts,
   same loaded model (target >= 0.80).

usage: python benchmarks/bench_llm_engine.py [--latency 0.2] [--quick] [--skip-embedded | --only-embedded] [--prompts 8 --tokens 64]
"""
from __future__ import annotations
import argparse, asyncio, json, os, subprocess, sys, tempfile, time
from pathlib import Path
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / 'tests'))
from openai_fault_server import reply_for  # noqa: E402
from wizardcoder_nb.llm import Sampling, get_engine, load_llama  # noqa: E402
from wizardcoder_nb import assets  # noqa: E402

def start_server(*args) -> tuple[subprocess.Popen, str]:
    p = subprocess.Popen([sys.executable, str(ROOT / 'tests' / 'openai_fault_server.py'), *args], stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline().split()
    assert line and line[0] == 'READY', line
    return p, line[1]

def raw_client_rate(url: str, n: int, conc: int) -> float:
    "Requests/s of the bare AsyncOpenAI client with `conc` workers (the no-engine baseline)."
    import openai
    async def go():
        c = openai.AsyncOpenAI(base_url=url, api_key='x', max_retries=0)
        await c.completions.create(model='m', prompt='warm-up', max_tokens=4)
        it = iter(range(n))
        async def worker():
            for i in it: await c.completions.create(model='m', prompt=f'raw {conc} {i}', max_tokens=4)
        t = time.perf_counter(); await asyncio.gather(*(worker() for _ in range(conc))); dt = time.perf_counter() - t
        await c.close(); return n / dt
    return asyncio.run(go())

def throughput(latency: float, quick: bool, tmp: Path) -> list[dict]:
    srv, url = start_server('--latency', str(latency))
    rows = []
    try:
        for conc in (1, 8, 64):
            n = conc * (8 if quick else 15) if conc > 1 else (10 if quick else 20)
            with get_engine('openai:bench', base_url=url, concurrency=conc, cache_path=tmp / f'tp{conc}.sqlite', progress=False) as eng:
                ps = [f'tp {conc} {i}' for i in range(n)]
                eng.complete([f'warm-up {conc}'], Sampling(max_tokens=4))  # imports and client set-up are not throughput
                c0, t = time.process_time(), time.perf_counter()
                outs = eng.complete(ps, Sampling(max_tokens=4))
                dt, cpu_ms = time.perf_counter() - t, (time.process_time() - c0) / n * 1e3
                assert [o.text for o in outs] == [reply_for(p) for p in ps]
            rate, ideal, raw = n / dt, conc / latency, raw_client_rate(url, n, conc)
            rows.append(dict(concurrency=conc, requests=n, seconds=round(dt, 2), req_per_s=round(rate, 1), ideal=round(ideal, 1),
                             vs_ideal=round(rate / ideal, 3), raw_client_req_per_s=round(raw, 1), vs_raw=round(rate / raw, 3),
                             client_cpu_ms_per_req=round(cpu_ms, 2)))
            print(f"concurrency {conc:>3}: {n:>4} requests in {dt:6.2f}s = {rate:7.1f} req/s; ideal {ideal:6.1f} -> "
                  f"{rate / ideal:.1%} (target >= 90%); raw AsyncOpenAI {raw:7.1f} req/s -> engine/raw {rate / raw:.2f}; "
                  f"client CPU {cpu_ms:.2f} ms/request (one free core caps this process near {1000 / cpu_ms:.0f} req/s)", flush=True)
    finally: srv.terminate(); srv.wait()
    return rows

def faults(quick: bool, tmp: Path) -> dict:
    srv, url = start_server('--latency', '0.05', '--fault-rate', '0.1', '--retry-after', '0.2', '--seed', '7')
    n = 200 if quick else 1000
    try:
        with get_engine('openai:bench', base_url=url, concurrency=32, max_retries=10, backoff=0.05,
                        cache_path=tmp / 'faults.sqlite', progress=False) as eng:
            ps = [f'fault {i}' for i in range(n)]
            t = time.perf_counter(); outs = eng.complete(ps, Sampling(max_tokens=4)); dt = time.perf_counter() - t
            u = eng.usage()['total']
        led = httpx.get(url + '/stats', timeout=30).json()
    finally: srv.terminate(); srv.wait()
    kinds: dict[str, int] = {}
    for fs in led['faults'].values():
        for f in fs: kinds[f] = kinds.get(f, 0) + 1
    correct = sum(o.text == reply_for(p) for o, p in zip(outs, ps))
    once = sum(led['good'].get(p, 0) == 1 for p in ps)
    res = dict(requests=n, seconds=round(dt, 2), outputs=len(outs), correct_outputs=correct, answered_exactly_once=once,
               lost=sum(led['good'].get(p, 0) == 0 for p in ps), duplicated=sum(led['good'].get(p, 0) > 1 for p in ps),
               faults_injected=kinds, fault_share=round(sum(kinds.values()) / sum(led['attempts'].values()), 3),
               engine_retries=u['retries'])
    print(f"faults: {n} requests, {sum(kinds.values())} faults injected {kinds} ({res['fault_share']:.1%} of attempts), "
          f"{u['retries']} retries; outputs {len(outs)}, correct {correct}, answered exactly once {once}, lost {res['lost']}, "
          f"duplicated {res['duplicated']} ({dt:.1f}s)", flush=True)
    return res

def embedded(n_prompts: int, max_tokens: int, tmp: Path, rounds: int = 2) -> dict:
    convs = [[{'role': 'user', 'content': f'Write a Python function number {i} that returns the {i}th square number.'}]
             for i in range(n_prompts)]
    llm = load_llama(str(assets.embedded_gguf()), 4096, None)  # the very object the engine uses
    kw = dict(temperature=0.0, top_p=1.0, top_k=0, min_p=0.0, repeat_penalty=1.0, max_tokens=max_tokens, seed=0)
    # Interleaved prompt by prompt (raw, then engine), so both see the same load on a shared machine.
    raw_t = raw_n = eng_t = eng_n = 0.0
    llm.create_completion('warm-up', max_tokens=4)
    for r in range(rounds):
        with get_engine('embedded', cache_path=tmp / f'emb{r}.sqlite', progress=False) as eng:
            for c in convs:
                t = time.perf_counter(); raw_n += llm.create_chat_completion(messages=c, **kw)['usage']['completion_tokens']
                raw_t += time.perf_counter() - t
                t = time.perf_counter(); eng_n += eng.chat([c], Sampling(max_tokens=max_tokens))[0].completion_tokens
                eng_t += time.perf_counter() - t
    raw_rate, eng_rate = raw_n / raw_t, eng_n / eng_t
    print(f"embedded: raw llama-cpp-python {raw_rate:.1f} tok/s ({raw_n:.0f} tokens), through the engine {eng_rate:.1f} tok/s "
          f"({eng_n:.0f} tokens) -> engine/raw {eng_rate / raw_rate:.2f} (target >= 0.80)", flush=True)
    return dict(prompts=n_prompts, rounds=rounds, max_tokens=max_tokens, raw_tok_per_s=round(raw_rate, 1),
                engine_tok_per_s=round(eng_rate, 1), ratio=round(eng_rate / raw_rate, 3))

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--latency', type=float, default=0.2); ap.add_argument('--quick', action='store_true')
    ap.add_argument('--skip-embedded', action='store_true'); ap.add_argument('--only-embedded', action='store_true')
    ap.add_argument('--prompts', type=int, default=8, help='embedded: prompts per pass')
    ap.add_argument('--tokens', type=int, default=64, help='embedded: max tokens per prompt')
    ap.add_argument('--json', type=Path)
    a = ap.parse_args()
    tmp, out = Path(tempfile.mkdtemp(prefix='bench-llm-')), {}
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (throughput here is bounded by this process's share of a core)")
    if not a.only_embedded: out.update(throughput=throughput(a.latency, a.quick, tmp), faults=faults(a.quick, tmp))
    if not a.skip_embedded: out['embedded'] = embedded(a.prompts, a.tokens, tmp)
    if a.json: a.json.write_text(json.dumps(out, indent=2))

if __name__ == '__main__': main()
