# Set-up and the two everyday commands (see README "Quickstart").
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo models test test-nojit bench fuzz clean

## demo: build the bundled ResNet-18 (if missing), compile it for the ISAAC preset, print the report
demo: $(VENV)/.installed models/resnet18.onnx
	$(VENV)/bin/imcsim compile models/resnet18.onnx --arch isaac

## models: build every model the README names that is not committed (ResNet-18, ResNet-50)
models: models/resnet18.onnx models/resnet50.onnx

## test: run the test suite (what CI runs)
test: $(VENV)/.installed
	$(PY) -m pytest -q

## test-nojit: the kernel tests with Numba's JIT off (results must not depend on it)
test-nojit: $(VENV)/.installed
	NUMBA_DISABLE_JIT=1 $(PY) -m pytest -q tests/test_kernels.py tests/test_bitplane.py

## fuzz: every case of the CLI fuzzing suite (tests/fuzz): totals per failure class and input kind
fuzz: $(VENV)/.installed
	$(PY) tests/fuzz/run_all.py

## bench: time and measure `imcsim compile` of ResNet-50 on the ISAAC preset
bench: $(VENV)/.installed
	$(PY) benchmarks/bench_compile.py

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "imcsim needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

models/resnet%.onnx: models/build_models.py $(VENV)/.installed
	$(PY) models/build_models.py resnet$* --out $@

clean:
	rm -rf $(VENV) build *.egg-info models/resnet*.onnx
