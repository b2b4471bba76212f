import os, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get('WCNB_DATA_DIR') or ROOT.parent / 'shared' / 'data')

@pytest.fixture(scope='session')
def shared_data() -> Path:
    "The benchmark files (read-only, never committed): $WCNB_DATA_DIR or ../shared/data."
    if not SHARED_DATA.exists(): pytest.skip(f'benchmark data dir {SHARED_DATA} not present')
    return SHARED_DATA

@pytest.fixture(scope='session')
def wcnb_exe() -> str:
    "The installed console script."
    return str(Path(sys.executable).parent / 'wcnb')
