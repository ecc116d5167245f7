# make run   : set up .venv, fetch MNIST, run the main job (compare NumPy with TF in lockstep)
# make test  : set up .venv, fetch MNIST, run the whole test suite
# make accuracy : measure the softmax family against exact arithmetic, table into docs/parity.md
# Needs only Python >= 3.10 with venv and pip; everything else is installed here.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
EXTRAS := tf,plot,bench,dev

.PHONY: run test data venv clean accuracy

venv: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "softmax-parity needs Python >= 3.10, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

data: $(STAMP)
	$(BIN)/softmax-parity data

run: data
	$(BIN)/softmax-parity compare --out runs/latest --logdir runs/latest/tensorboard

test: data
	$(BIN)/python -m pytest -q

accuracy: $(STAMP)
	$(BIN)/python -m parity_tests.accuracy --docs docs/parity.md

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
