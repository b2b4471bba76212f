"""JupyterLab the way a person uses it: the project's `jupyter lab` starts headless on 127.0.0.1, Chromium opens
a module notebook (a copy of nbs/05_templates.ipynb, so nothing in the repo is saved over), a new cell is typed and run
with Shift+Enter on the project's kernel, and the page is captured as a screenshot (path printed) after the output
has appeared in the page. Chromium is driven through the DevTools protocol (tornado's websocket client, already
installed with Jupyter); nothing is fetched from the network."""
import asyncio, base64, json, os, shutil, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which('chromium') or '/usr/bin/chromium'
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--window-size=1400,1000']
CODE = ("import sys\nfrom wizardcoder_nb.templates import format_prompt\n"
        "print(sys.executable)\nprint(format_prompt('Say hi'))")

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason='Debian chromium is not installed (make toolchains)')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def _wait_http(url: str, timeout: float, proc: subprocess.Popen, log: Path):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None: pytest.fail(f'{proc.args[0]} exited: {log.read_text()[-3000:]}')
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200: return r.read()
        except OSError: time.sleep(0.5)
    pytest.fail(f'{url} did not answer in {timeout} s: {log.read_text()[-3000:]}')


@pytest.fixture
def jupyterlab(tmp_path):
    "The project's JupyterLab on 127.0.0.1 serving a copy of a module notebook, its settings and workspaces in tmp."
    (tmp_path / 'nbs').mkdir(); shutil.copy(ROOT / 'nbs' / '05_templates.ipynb', tmp_path / 'nbs')
    news = tmp_path / 'settings' / '@jupyterlab' / 'apputils-extension' / 'notification.jupyterlab-settings'
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps(dict(fetchNews='false')))  # no news popup, no request for it
    port, token, log = _free_port(), 'wcnb-test', tmp_path / 'lab.log'
    env = {**os.environ, 'JUPYTER_CONFIG_DIR': str(tmp_path / 'cfg'),
           'JUPYTERLAB_SETTINGS_DIR': str(tmp_path / 'settings'),
           'JUPYTERLAB_WORKSPACES_DIR': str(tmp_path / 'ws'), 'JUPYTER_RUNTIME_DIR': str(tmp_path / 'rt')}
    cmd = [sys.executable, '-m', 'jupyterlab', '--no-browser', '--ip=127.0.0.1', f'--port={port}',
           f'--IdentityProvider.token={token}',
           f'--ServerApp.root_dir={tmp_path}', '--LabApp.news_url=',
           '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate', '--LabApp.extension_manager=readonly',
           *(['--allow-root'] if os.geteuid() == 0 else [])]
    with open(log, 'w') as out: proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        _wait_http(f'http://127.0.0.1:{port}/api/status?token={token}', 120, proc, log)
        yield f'http://127.0.0.1:{port}', token
    finally:
        proc.terminate()
        try: proc.wait(20)
        except subprocess.TimeoutExpired: proc.kill()


class DevTools:
    "A minimal Chrome DevTools protocol client: `await call(method, **params)`."
    def __init__(self, ws): self.ws, self.n = ws, 0

    async def call(self, method: str, **params):
        self.n += 1; await self.ws.write_message(json.dumps(dict(id=self.n, method=method, params=params)))
        while True:
            msg = json.loads(await asyncio.wait_for(self.ws.read_message(), 60))
            if msg.get('id') == self.n:
                if 'error' in msg: raise RuntimeError(f'{method}: {msg["error"]}')
                return msg.get('result', {})

    async def js(self, expr: str):
        r = await self.call('Runtime.evaluate', expression=expr, returnByValue=True, awaitPromise=True)
        return r.get('result', {}).get('value')

    async def until(self, expr: str, timeout: float, what: str):
        t0 = time.time()
        while time.time() - t0 < timeout:
            if v := await self.js(expr): return v
            await asyncio.sleep(0.5)
        raise AssertionError(f'{what}: not seen in {timeout} s')

    async def key(self, key: str, code: str, vk: int, shift: bool = False, text: str = ''):
        mods = 8 if shift else 0
        await self.call('Input.dispatchKeyEvent', type='keyDown', key=key, code=code, windowsVirtualKeyCode=vk,
                        modifiers=mods,
                        **({'text': text} if text else {}))
        await self.call('Input.dispatchKeyEvent', type='keyUp', key=key, code=code, windowsVirtualKeyCode=vk,
                        modifiers=mods)

    async def click(self, selector: str):
        js = (f"(() => {{ const e = document.querySelector({json.dumps(selector)}); if (!e) return null;"
              " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        box = await self.until(js, 30, selector)
        for t in ('mousePressed', 'mouseReleased'):
            await self.call('Input.dispatchMouseEvent', type=t, x=box[0], y=box[1], button='left', clickCount=1)


async def _kernel_idle(api: str, timeout: float):
    "Wait until the notebook's kernel session exists and is idle (the server's own sessions API)."
    t0 = time.time()
    while time.time() - t0 < timeout:
        sessions = json.loads(urllib.request.urlopen(api, timeout=10).read())
        if any(s['kernel']['execution_state'] == 'idle' for s in sessions): return
        await asyncio.sleep(1)
    raise AssertionError(f'no idle kernel in {timeout} s: {sessions}')


async def _drive(ws_url: str, url: str, api: str, shot: Path) -> str:
    from tornado.websocket import websocket_connect
    cdp = DevTools(await websocket_connect(ws_url, max_message_size=64 << 20))
    await cdp.call('Page.enable'); await cdp.call('Runtime.enable')
    await cdp.call('Page.navigate', url=url)
    await cdp.until("document.querySelectorAll('.jp-Notebook .jp-Cell').length > 3", 120, 'the notebook rendered')
    await _kernel_idle(api, 120)
    await cdp.click('.jp-Notebook .jp-CodeCell .jp-InputArea-prompt')  # select the first code cell, as a person does
    await cdp.key('Escape', 'Escape', 27)                          # command mode
    await cdp.key('b', 'KeyB', 66, text='b')                       # a new cell below it
    await cdp.key('Enter', 'Enter', 13)                            # edit it
    await cdp.call('Input.insertText', text=CODE)
    await cdp.key('Enter', 'Enter', 13, shift=True)                # run it
    try: out = await cdp.until("[...document.querySelectorAll('.jp-OutputArea-output')].map(e => e.innerText)"
                               ".find(t => t.includes('Say hi'))", 180, 'the output of the typed cell')
    finally:
        await asyncio.sleep(1)  # let the page settle before the picture (taken on failure too, to see why)
        shot.write_bytes(base64.b64decode((await cdp.call('Page.captureScreenshot', format='png'))['data']))
    return out


def test_a_module_notebook_runs_a_cell_in_jupyterlab_in_chromium(jupyterlab, tmp_path):
    base, token = jupyterlab
    profile, shot = tmp_path / 'chromium-profile', tmp_path / 'jupyterlab.png'
    chrome = subprocess.Popen([CHROMIUM, *FLAGS, f'--user-data-dir={profile}', '--remote-debugging-port=0',
                               'about:blank'],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / 'DevToolsActivePort'
        t0 = time.time()
        while not port_file.exists() and time.time() - t0 < 60: time.sleep(0.2)
        port = int(port_file.read_text().split()[0])
        targets = json.loads(urllib.request.urlopen(f'http://127.0.0.1:{port}/json', timeout=10).read())
        ws = next(t['webSocketDebuggerUrl'] for t in targets if t['type'] == 'page')
        out = asyncio.run(_drive(ws, f'{base}/lab/tree/nbs/05_templates.ipynb?token={token}',
                                 f'{base}/api/sessions?token={token}', shot))
    finally:
        chrome.terminate(); chrome.wait(20)
    print(f'\nscreenshot of JupyterLab: {shot}\noutput:\n{out}')
    assert str(Path(sys.executable).parent) in out  # the project's kernel (this virtualenv's Python) ran the cell
    assert '### Instruction:\nSay hi' in out and shot.stat().st_size > 20_000
    if dest := os.environ.get('WCNB_SCREENSHOTS'): shutil.copy(shot, Path(dest) / 'jupyterlab.png')
