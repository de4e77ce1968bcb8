# The two commands of the README, and the helpers they stand on.
#   make book   build the website into _build/html (sets up .venv first)
#   make test   run every test: unit, nbval over every notebook, book build, browsers
# Everything runs inside .venv, created here on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: book test notebooks lab browser clean

book: $(STAMP)
	$(BIN)/jupyter-book build . --all -W --keep-going
	@echo "The book is at _build/html/index.html"

# Unit tests and notebooks run two at a time (one notebook per worker, its
# cells in order); the browser tests then run alone, since they time redraws.
test: $(STAMP) browser
	$(BIN)/python -m pytest -m "not browser" -n 2 --dist loadfile
	$(BIN)/python -m pytest -m browser

# Re-execute every chapter in a fresh kernel in website mode and save the
# outputs into the .ipynb files: run this before committing a chapter.
notebooks: $(STAMP)
	$(BIN)/python tools/refresh_notebooks.py

# The chapters with live explorers, in JupyterLab.
lab: $(STAMP)
	$(BIN)/jupyter lab book/

$(STAMP): requirements.txt requirements-test.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $(STAMP)

# Browser tests drive Debian's Chromium. Install it when we can (root with
# apt-get); otherwise the browser tests say why they were skipped.
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "note: /usr/bin/chromium not found; browser tests will be skipped (CI installs it)"; fi

clean:
	rm -rf _build .pytest_cache
