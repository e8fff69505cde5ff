# Two entry points, both from nothing: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-all lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first: the pinned wheel (CPU here, CUDA on user machines) must be
	# in place before anything that depends on torch is resolved.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[dev]"
	# GPAW (DFT: sselab.dft, --model gpaw) compiles against libxc and a BLAS. With
	# root and apt they are installed here; otherwise install them yourself (Debian:
	# libxc-dev libopenblas-dev; or conda-forge) and re-run make. CC=g++: gpaw
	# 26.7.0's sdist compiles its C sources as C++ and fails with gcc.
	@if ! printf 'int main(void){return 0;}' | cc -x c - -lxc -lblas -o /dev/null 2>/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libxc-dev libopenblas-dev; \
	  else \
	    echo "GPAW needs libxc and BLAS: run 'sudo apt-get install libxc-dev libopenblas-dev' (or your system's equivalent) and run make again"; \
	    exit 1; \
	  fi; \
	fi
	CC=g++ $(PY) -m pip install -q "gpaw==26.7.0" gpaw-data
	touch $(STAMP)

# --measured example: the packaged SYNTHETIC example set (sselab/data/measured_example)
# fills the report's Measured sections and the claims table's measured column.
# --workers: the stages run side by side in single-threaded Dask workers; on 2 cores
# 9.1 min against 13.2 in one process (CHGNet gains only 1.2x from a second thread).
WORKERS ?= 2
run: $(STAMP)
	$(VENV)/bin/sselab reproduce --quick --measured example --workers $(WORKERS) --out out

# Doctests in src/ run with the tests: a docstring example that rots fails CI.
test: $(STAMP)
	$(PY) -m pytest -m "not slow" -q --doctest-modules src tests

test-all: $(STAMP)
	$(PY) -m pytest -q --doctest-modules src tests

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks examples
	$(VENV)/bin/ruff format --check src tests benchmarks examples
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache
