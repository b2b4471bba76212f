import os, sys
from pathlib import Path
import pytest
from wizardcoder_nb.core import FixtureMissing, fixture_file

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault('HF_HUB_OFFLINE', '1')  # tests never need a network: a hub call fails at once instead of waiting


@pytest.fixture(scope='session')
def restricted():
    """Restricted fixtures, files that never ship (released generations, CC BY-NC data): `restricted('wizardcoder/x.jsonl')`
    is its path in `core.fixtures_dir()`, or the test skips naming the file. Tests using it are marked `fixtures`."""
    def get(rel: str) -> Path:
        try: return fixture_file(rel)
        except FixtureMissing as e: pytest.skip(str(e))
    return get


def pytest_configure(config):
    config.addinivalue_line('markers', 'fixtures: needs a restricted fixture (run alone with `-m fixtures`)')


def pytest_collection_modifyitems(items):
    for item in items:
        if 'restricted' in getattr(item, 'fixturenames', ()): item.add_marker(pytest.mark.fixtures)


@pytest.fixture(scope='session')
def wcnb_exe() -> str:
    "The installed console script."
    return str(Path(sys.executable).parent / 'wcnb')


def mbpp_train_file(folder: Path, first: int, last: int) -> Path:
    "Real instruction/response pairs for training tests: MBPP's train split tasks first..last (CC BY 4.0, shipped)."
    from wizardcoder_nb.core import read_jsonl, write_jsonl
    from wizardcoder_nb.data import shipped_dir
    rows = [r for r in read_jsonl(shipped_dir() / 'mbpp' / 'mbpp.jsonl.gz') if first <= int(r['task_id']) <= last]
    return write_jsonl(Path(folder) / 'train.jsonl', [dict(instruction=r['text'], input='', output=r['code'])
                                                      for r in rows])
