"Foundation: the console script, doctor, located errors, atomic/racing asset assembly."
import json, os, subprocess, sys, textwrap
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
import pytest
from wizardcoder_nb import core, assets
from wizardcoder_nb.cli import VERBS, register_verbs

def run(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, **kw)

def test_help_lists_every_verb(wcnb_exe):
    r = run(wcnb_exe, '--help', env={**os.environ, 'COLUMNS': '120'})
    assert r.returncode == 0, r.stderr
    for verb in ['doctor', *VERBS]: assert f' {verb} ' in r.stdout, verb

def test_doctor_reports_verified_model_and_data(wcnb_exe, tmp_path):
    r = run(wcnb_exe, 'doctor', '--json', '--data', str(tmp_path))   # an empty data dir: the shipped files serve
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep['embedded_sha256_ok'] is True
    assert Path(rep['embedded_gguf']).stat().st_size == assets.EMBEDDED_SIZE
    assert rep['data_dir'] == str(tmp_path) and rep['shipped_benchmarks_ok'] is True
    files = rep['files']
    assert isinstance(files, dict), files
    for name in ['humaneval+', 'mbpp', 'mbpp+', 'ds1000', 'multipl-e-lua']: assert files.get(name), (name, files)

def test_missing_verb_says_so_and_fails():
    import typer
    from typer.testing import CliRunner
    app = typer.Typer()
    register_verbs(app, {'frobnicate': ('no_such_module', 'cli_frobnicate', 'x'), 'other': ('core', 'cli_nothing', 'y')})
    for verb, why in [('frobnicate', 'module wizardcoder_nb.no_such_module is missing'), ('other', 'cli_nothing is missing')]:
        r = CliRunner().invoke(app, [verb, '--anything'])
        assert r.exit_code == 2 and why in r.output, r.output

def test_broken_line_3_is_named(tmp_path):
    p = tmp_path / 'samples.jsonl'
    p.write_text('{"task_id": "HumanEval/0", "completion": "  return 1"}\n{"task_id": "HumanEval/1", "completion": "x"}\n{"task_id": "HumanEval/2", "completion": \n{"task_id": "HumanEval/3", "completion": "y"}\n')
    with pytest.raises(core.WcnbError, match=r'samples\.jsonl:3: invalid JSON'): list(core.read_jsonl(p))

def test_wrong_type_names_line_and_field(tmp_path):
    p = tmp_path / 's.jsonl'
    p.write_text('{"task_id": "a", "completion": "x"}\n{"task_id": 7, "completion": "x"}\n')
    with pytest.raises(core.WcnbError, match=r"s\.jsonl:2: field 'task_id'"): list(core.read_jsonl(p, core.Sample))

def test_config_error_names_file_line_and_field(tmp_path):
    class Section(core.Config):
        rounds: int = 3
    class Cfg(core.Config):
        evolve: Section = Section()
    p = tmp_path / 'run.yaml'
    p.write_text('evolve:\n  rounds: 3\n  roundz: 4\n')
    with pytest.raises(core.WcnbError, match=r"run\.yaml:3: field 'evolve\.roundz'"): core.load_yaml_model(p, Cfg)

def _assemble(home: str) -> str:
    return str(assets.embedded_gguf(Path(home)))

def test_assembly_is_atomic_under_a_race(tmp_path):
    "Two processes assembling into an empty cache at once both get the same verified file; no temp files remain."
    with ProcessPoolExecutor(2) as ex: paths = list(ex.map(_assemble, [str(tmp_path)] * 2))
    assert paths[0] == paths[1]
    p = Path(paths[0])
    assert assets.verify_gguf(p) == assets.EMBEDDED_SHA256
    assert sorted(x.name for x in p.parent.iterdir()) == sorted([p.name, p.name + '.lock', p.name + '.verified'])

def test_corrupt_gguf_is_rejected(tmp_path):
    p = tmp_path / 'x.gguf'
    p.write_bytes(b'GGUF' + b'\0' * 100)
    with pytest.raises(core.WcnbError, match='size'): assets.verify_gguf(p)
