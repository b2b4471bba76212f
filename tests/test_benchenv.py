"""Pinned benchmark environments: a pin the index cannot serve for a Python gives way to the nearest served release,
with the reason; an environment that is not built says how to build it; `wcnb env` and `wcnb doctor` report it."""
import subprocess, sys
import pytest
from wizardcoder_nb import benchenv as be


def test_an_unservable_pin_gives_way_to_the_nearest_release_with_a_wheel():
    py, why = be.find_python('3.13')
    if why: pytest.skip(why)
    final, replaced = be.resolve_pins(py, {'pandas': '1.5.3', 'six': '1.16.0'}, log=lambda m: None)
    assert final == {'pandas': '2.2.3', 'six': '1.16.0'}   # pandas' first release with a CPython 3.13 wheel
    assert replaced['pandas']['wanted'] == '1.5.3' and 'No matching distribution' in replaced['pandas']['reason']


def test_an_environment_not_built_says_how(tmp_path, monkeypatch, wcnb_exe):
    monkeypatch.setenv('WCNB_ENVS_DIR', str(tmp_path))
    st = be.env_status('ds1000')
    assert not st['ready'] and set(st['missing']) == set(be.pins(be.ENVS['ds1000'])) and 'make ds1000-env' in st['how']
    assert be.env_python('ds1000') is None
    r = subprocess.run([wcnb_exe, 'env', 'status'], capture_output=True, text=True,
                       env={**__import__('os').environ, 'WCNB_ENVS_DIR': str(tmp_path)})
    assert 'ds1000: NOT ready' in r.stdout and 'make ds1000-env' in r.stdout, r.stdout + r.stderr
    r = subprocess.run([wcnb_exe, 'env', 'rebuild'], capture_output=True, text=True)
    assert r.returncode == 2 and "unknown action 'rebuild'" in r.stderr


def test_doctor_reports_the_ds1000_environment(tmp_path, monkeypatch):
    from wizardcoder_nb.cli import benchenv_report
    monkeypatch.setenv('WCNB_ENVS_DIR', str(tmp_path))
    assert benchenv_report()['ds1000'].startswith('NOT ready: missing ')
