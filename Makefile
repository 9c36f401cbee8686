# Two commands for a fresh machine: `make demo` and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
FASHION_DIR := /usr/share/datasets/fashion-mnist
EPOCHS ?= 2

.PHONY: demo test install bench fashion-mnist tour screenshots clean fuzz

$(PY):
	python3 -m venv $(VENV)

install: $(PY)
	$(PIP) install -q -e .

# Fashion-MNIST from Debian's dataset-fashion-mnist package: no internet needed beyond the package mirror.
fashion-mnist:
	@test -d $(FASHION_DIR) || { \
	  echo "Installing Debian package dataset-fashion-mnist (Fashion-MNIST)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 || \
	  { $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq dataset-fashion-mnist; } || \
	  { echo "Could not install dataset-fashion-mnist; install it, or run: striate train --dataset fashion-mnist --data-dir DIR"; exit 1; }; }

demo: install fashion-mnist
	$(VENV)/bin/striate train --dataset fashion-mnist --model lenet5 --epochs $(EPOCHS)

test: $(PY)
	$(PIP) install -q -e '.[test]'
	$(PY) -m pytest

# the README's pictures (docs/tour/), made by the striate commands; MNIST from $(MNIST_DIR) if set
tour: $(PY)
	$(PIP) install -q -e '.[viz]'
	$(PY) docs/make_tour.py $(if $(MNIST_DIR),--data-dir $(MNIST_DIR))

# the README's screenshots of the page (docs/tour/serve-*.png): Playwright driving the system's Chromium
screenshots: $(PY)
	$(PIP) install -q -e '.[test]'
	$(PY) docs/make_screenshots.py $(if $(MNIST_DIR),--data-dir $(MNIST_DIR))

# coverage-guided fuzzing of every file reader (fuzz/README.md): FUZZ_SECONDS each
FUZZ_SECONDS ?= 60
FUZZ_READERS := model checkpoint idx onnx toml image
fuzz: $(PY)
	$(PIP) install -q -e '.[test]' atheris onnx Pillow
	@for r in $(FUZZ_READERS); do \
	  echo "== fuzz/fuzz_$$r.py for $(FUZZ_SECONDS) s"; \
	  $(PY) fuzz/fuzz_$$r.py -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 || exit 1; \
	done

bench: install
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
