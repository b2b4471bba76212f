"""A small OpenAI-compatible HTTP server for tests and benchmarks: fixed latency, injected faults, request ledger.

It answers `POST /v1/chat/completions` and `POST /v1/completions` with a deterministic reply (`reply_for(prompt)`),
after sleeping `latency` seconds. Faults are drawn per (prompt, attempt) from a seeded RNG, so a run is repeatable:
`429` (with `Retry-After`), `500`, `drop` (connection closed without a reply) and `badjson` (a truncated 200 body);
`fail_first=k, fail_kind=...` fails the first k attempts of every prompt (also with `400`, which must not be retried).
`GET /stats` returns the ledger: per prompt, how many good replies and faults were sent.

Use in-process (`with FaultServer(...) as url:`) or as a subprocess
(`python tests/openai_fault_server.py --latency 0.2 --fault-rate 0.1`, which prints `READY <url>`)."""
from __future__ import annotations
import argparse, asyncio, hashlib, json, random, threading, time
from collections import Counter, defaultdict

FAULTS = ('429', '500', 'drop', 'badjson')

def reply_for(prompt: str, index: int = 0) -> str:
    "The server's deterministic answer to `prompt` (choice `index`)."
    return 'reply-' + hashlib.sha256(f'{prompt}#{index}'.encode()).hexdigest()[:12]

def prompt_of(body: dict) -> str:
    "The text a request is identified by: the prompt, or the last message's content."
    if 'messages' in body: return str(body['messages'][-1].get('content', ''))
    p = body.get('prompt', '')
    return p if isinstance(p, str) else json.dumps(p)

class Ledger:
    "What the server sent, per prompt."
    def __init__(self):
        self.good, self.faults, self.attempts = Counter(), defaultdict(list), Counter()
        self.events: list[tuple[float, str, str]] = []  # (time, prompt, outcome)
        self.in_flight = self.max_in_flight = 0

    def stats(self) -> dict:
        return dict(good=dict(self.good), faults={k: v for k, v in self.faults.items()}, attempts=dict(self.attempts),
                    events=self.events, max_in_flight=self.max_in_flight)

class FaultServer:
    "An asyncio HTTP/1.1 server (keep-alive) on 127.0.0.1 running in its own thread."
    def __init__(self, latency: float = 0.0, fault_rate: float = 0.0, faults=FAULTS, retry_after: float | None = 1,
                 fail_first: int = 0, fail_kind: str = '429', seed: int = 0, port: int = 0, model: str = 'test-model',
                 ignore_n: bool = False):
        self.latency, self.fault_rate, self.faults, self.retry_after = latency, fault_rate, tuple(faults), retry_after
        self.fail_first, self.fail_kind, self.seed, self.port, self.model = fail_first, fail_kind, seed, port, model
        self.ignore_n = ignore_n  # answer one choice whatever `n` says, like servers without `n` support
        self.ledger = Ledger()
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()

    # -- lifecycle --
    def start(self) -> str:
        self.thread = threading.Thread(target=self._run, daemon=True); self.thread.start()
        self._ready.wait(10)
        return self.url

    def _run(self):
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(asyncio.start_server(self._handle, '127.0.0.1', self.port, backlog=1024))
        self.port = self.server.sockets[0].getsockname()[1]
        self.url = f'http://127.0.0.1:{self.port}/v1'
        self._ready.set()
        self.loop.run_forever()

    def stop(self):
        async def _close():
            self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks: t.cancel()  # open keep-alive connections: close them while the loop still runs
            await asyncio.gather(*tasks, return_exceptions=True)
        asyncio.run_coroutine_threadsafe(_close(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop); self.thread.join(5)

    def __enter__(self): return self.start()
    def __exit__(self, *exc): self.stop()

    # -- HTTP --
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        try:
            while True:
                head = await reader.readuntil(b'\r\n\r\n')
                lines = head.decode('latin-1').split('\r\n')
                method, path, _ = lines[0].split(' ', 2)
                headers = {k.strip().lower(): v.strip() for k, v in (l.split(':', 1) for l in lines[1:] if ':' in l)}
                body = await reader.readexactly(int(headers.get('content-length', 0)))
                if not await self._route(method, path, body, writer): break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError): pass
        finally:
            writer.close()

    async def _send(self, writer, status: int, obj=None, raw: bytes | None = None, headers: dict | None = None):
        data = raw if raw is not None else json.dumps(obj).encode()
        reason = {200: 'OK', 400: 'Bad Request', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error'}.get(status, 'X')
        hs = {'content-type': 'application/json', 'content-length': str(len(data)), **(headers or {})}
        writer.write(f'HTTP/1.1 {status} {reason}\r\n'.encode() + ''.join(f'{k}: {v}\r\n' for k, v in hs.items()).encode()
                     + b'\r\n' + data)
        await writer.drain()
        return True

    async def _route(self, method, path, body, writer) -> bool:
        if method == 'GET' and path.endswith('/stats'): return await self._send(writer, 200, self.ledger.stats())
        if method == 'GET' and path.endswith('/models'):
            return await self._send(writer, 200, {'object': 'list', 'data': [{'id': self.model, 'object': 'model'}]})
        if method == 'POST' and path.endswith(('/chat/completions', '/completions')):
            return await self._complete(json.loads(body), path.endswith('/chat/completions'), writer)
        return await self._send(writer, 404, {'error': {'message': f'no route {method} {path}'}})

    def _fault(self, prompt: str, attempt: int) -> str | None:
        if attempt <= self.fail_first: return self.fail_kind
        rng = random.Random(f'{self.seed}|{prompt}|{attempt}')
        return rng.choice(self.faults) if rng.random() < self.fault_rate else None

    async def _complete(self, req: dict, chat: bool, writer) -> bool:
        led, prompt = self.ledger, prompt_of(req)
        led.attempts[prompt] += 1
        led.in_flight += 1; led.max_in_flight = max(led.max_in_flight, led.in_flight)
        try: await asyncio.sleep(self.latency)
        finally: led.in_flight -= 1
        fault = self._fault(prompt, led.attempts[prompt])
        led.events.append((time.time(), prompt, fault or 'ok'))
        if fault: led.faults[prompt].append(fault)
        if fault == 'drop': writer.transport.abort(); return False
        if fault == '429':
            hs = {'retry-after': str(self.retry_after)} if self.retry_after is not None else {}
            return await self._send(writer, 429, {'error': {'message': 'rate limited', 'type': 'rate_limit'}}, headers=hs)
        if fault == '500': return await self._send(writer, 500, {'error': {'message': 'internal error'}})
        if fault == '400': return await self._send(writer, 400, {'error': {'message': 'prompt is too long', 'type': 'invalid_request_error'}})
        if fault == 'badjson': return await self._send(writer, 200, raw=b'{"id": "cmpl-1", "choices": [{"te')
        led.good[prompt] += 1
        return await self._send(writer, 200, self._reply(req, chat, prompt))

    def _reply(self, req: dict, chat: bool, prompt: str) -> dict:
        n = 1 if self.ignore_n else int(req.get('n') or 1)
        first = int(req.get('seed') or 0)  # choice i of a request with seed s is the server's choice s+i
        texts = [reply_for(prompt, first + i) for i in range(n)]
        choices = [dict(index=i, finish_reason='stop', logprobs=None,
                        **({'message': {'role': 'assistant', 'content': t}} if chat else {'text': t}))
                   for i, t in enumerate(texts)]
        pt, ct = len(prompt.split()) + 1, 3 * n
        return {'id': 'cmpl-' + hashlib.sha1(prompt.encode()).hexdigest()[:8], 'object': 'chat.completion' if chat else 'text_completion',
                'created': int(time.time()), 'model': req.get('model', self.model), 'choices': choices,
                'usage': {'prompt_tokens': pt, 'completion_tokens': ct, 'total_tokens': pt + ct}}

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--port', type=int, default=0); ap.add_argument('--latency', type=float, default=0.0)
    ap.add_argument('--fault-rate', type=float, default=0.0); ap.add_argument('--retry-after', type=float, default=1)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    srv = FaultServer(latency=a.latency, fault_rate=a.fault_rate, retry_after=a.retry_after, seed=a.seed, port=a.port)
    print('READY', srv.start(), flush=True)
    try: srv.thread.join()
    except KeyboardInterrupt: pass

if __name__ == '__main__': main()
