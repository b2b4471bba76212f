# wizardcoder-nb — the two commands a newcomer needs: `make demo` and `make test`. Each sets itself up.
SHELL := /bin/bash
VENV  ?= .venv
PY    := $(VENV)/bin/python
PIP   := $(PY) -m pip
# torch's CPU build that installs in seconds here; CUDA machines may pre-install their own torch>=2.4 in $(VENV)
TORCH ?= torch==2.13.0
EXTRAS ?= dev,llamacpp,ds1000
# benchmark files in their original formats (tests and the demo read ../shared/data when it is there)
export WCNB_DATA_DIR ?= $(if $(wildcard ../shared/data),$(abspath ../shared/data),$(abspath data))
export HF_HUB_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false
STAMP := $(VENV)/.wcnb-setup

.PHONY: setup demo test test-fast docs toolchains check-nbs export clean-nbs lint bench help
help:
	@echo "make demo   # set up, then run the whole pipeline on the embedded model (configs/tiny-cpu.yaml)"
	@echo "make test   # set up, then notebooks-in-step check, nbdev_test and pytest"
	@echo "make docs   # build the documentation site into site/"

# Debian toolchains for MultiPL-E (g++, java + javatuples, node, go, rustc, bash), Chromium for the docs test and
# MathJax for the docs site's formulas (served locally).
# Installed only where missing and only when we can (root + apt); otherwise `wcnb doctor` shows what is absent.
toolchains: $(VENV)/.wcnb-toolchains
$(VENV)/.wcnb-toolchains:
	@mkdir -p $(VENV)
	@missing=""; \
	for pair in g++:g++ javac:default-jdk-headless node:nodejs go:golang-go rustc:rustc chromium:chromium; do \
	  cmd=$${pair%%:*}; pkg=$${pair##*:}; command -v $$cmd >/dev/null || missing="$$missing $$pkg"; done; \
	[ -f /usr/share/java/javatuples.jar ] || missing="$$missing libjavatuples-java"; \
	[ -f /usr/share/javascript/mathjax/MathJax.js ] || missing="$$missing libjs-mathjax"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	      || echo "warning: could not install$$missing (MultiPL-E languages / docs test will report them missing)"; \
	  else echo "warning: missing Debian packages:$$missing (install them for MultiPL-E and the docs test)"; fi; \
	fi; touch $@

# The venv: pinned CPU torch first, then the package with its extras (llama-cpp-python builds once, ~3 min).
setup: $(STAMP)
$(STAMP): settings.ini setup.py | $(VENV)/.wcnb-toolchains
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip wheel setuptools
	$(PY) -c "import torch" 2>/dev/null || $(PIP) install -q "$(TORCH)"
	CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(PIP) install -q -e ".[$(EXTRAS)]"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	$(VENV)/bin/wcnb doctor --json > /dev/null
	$(PY) -c "from wizardcoder_nb.assets import embedded_hf_dir; embedded_hf_dir()"  # the one-time HF conversion, for training
	@touch $@

demo: setup
	$(VENV)/bin/wcnb run --config configs/tiny-cpu.yaml

# CI gate: notebooks clean and package in step, notebook tests, then pytest (its summary line ends the output)
test: setup check-nbs
	$(VENV)/bin/nbdev_test --n_workers 2 --timing
	$(VENV)/bin/pytest -q -n 2 --durations=15 tests

check-nbs: setup
	$(PY) tools/check_nbs.py
	$(PY) tools/build_readme.py --check

export: setup
	$(VENV)/bin/nbdev_clean && $(VENV)/bin/nbdev_export

docs: setup
	$(PY) tools/build_docs.py

bench: setup
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done
