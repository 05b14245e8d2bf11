# Comunità di pratiche – pipeline del Bilancio sociale.
# `make report` prepara tutto (ambiente Python, librerie di sistema) e genera i file;
# `make test` esegue tutti i test. `make help` elenca gli altri comandi.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
ANNO ?=
PDF ?= pdf/ua-1
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core

.DEFAULT_GOAL := help
.PHONY: help report check modello serve test bench screenshots clean system-libs browser

help: ## elenca i comandi disponibili
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

report: $(VENV)/.stamp-runtime system-libs ## genera pagina, PDF e dati (tutte le edizioni, o ANNO=2021)
	@$(PY) -m pipeline build $(if $(ANNO),--anno $(ANNO)) --pdf $(PDF)
	@echo "Risultati in output/ (indice delle edizioni: output/index.html)"

check: $(VENV)/.stamp-runtime ## controlla soltanto i dati, senza generare nulla
	@$(PY) -m pipeline check $(if $(ANNO),--anno $(ANNO))

modello: $(VENV)/.stamp-runtime ## scrive data/raw/ANNO/dati.xlsx, il modello Excel da compilare (mai sovrascritto)
	@test -n "$(ANNO)" || { echo "Indicare l’edizione: make modello ANNO=2024"; exit 2; }
	@$(PY) -m pipeline modello --anno $(ANNO)

serve: $(VENV)/.stamp-runtime system-libs ## anteprima nel browser che si aggiorna a ogni salvataggio (ANNO=…, PORTA=…)
	@$(PY) -m pipeline serve $(if $(ANNO),--anno $(ANNO)) $(if $(PORTA),--port $(PORTA)) --pdf $(PDF)

test: $(VENV)/.stamp-test system-libs browser ## esegue tutti i test (anche nel browser, con Chromium)
	@$(PY) -m pytest

screenshots: report $(VENV)/.stamp-test browser ## rigenera le immagini in docs/ (pagine a 390 e 1280 px, ogni pagina dei PDF; anche un'edizione di prova con 40 bandi)
	@$(PY) scripts/screenshots.py --out output --docs docs --stress

bench: $(VENV)/.stamp-runtime system-libs ## misura i tempi (mediane): bench/risultati.md e bench/risultati-anteprima.md
	@$(PY) bench/benchmark.py
	@$(PY) bench/anteprima.py

clean: ## cancella output/, la cache .cache/ e l'ambiente .venv/
	rm -rf output $(VENV) .cache *.egg-info .pytest_cache .hypothesis

# WeasyPrint needs Pango; libharfbuzz-subset0 gives it fast, reproducible font
# subsetting (without it, fontTools writes the clock into embedded fonts).
system-libs:
	@missing=""; \
	for lib in libpango-1.0.so.0 libpangoft2-1.0.so.0 libharfbuzz-subset.so.0; do \
	  /sbin/ldconfig -p | grep -q "$$lib" || missing="$$missing $$lib"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installo le librerie di sistema mancanti:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	  else \
	    echo "Mancano librerie di sistema:$$missing"; \
	    echo "Installarle con: sudo apt-get install $(APT_PACKAGES)"; exit 1; \
	  fi; \
	fi

# The browser tests drive Debian's Chromium (Playwright cannot download its
# own browser here); pdftoppm (poppler-utils) draws PDF pages for
# `make screenshots`. Installed when root; otherwise the browser tests are
# skipped and say why.
browser:
	@missing=""; \
	[ -x $(CHROMIUM) ] || missing="$$missing chromium"; \
	command -v pdftoppm >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installo:$$missing"; \
	    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; } \
	      || echo "Installazione non riuscita:$$missing; i test nel browser saranno saltati"; \
	  else \
	    echo "Mancano:$$missing (sudo apt-get install$$missing); i test nel browser saranno saltati"; \
	  fi; \
	fi

$(VENV)/bin/python:
	@test -n "$(PYTHON)" || { echo "Serve Python 3.11 (python3.11 o python3)"; exit 1; }
	@echo "Creo l'ambiente Python in $(VENV)/"
	@$(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }

$(VENV)/.stamp-runtime: pyproject.toml | $(VENV)/bin/python
	@echo "Installo le dipendenze (versioni fissate in pyproject.toml)"
	@$(PY) -m pip install -q -e . > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	@touch $@

$(VENV)/.stamp-test: pyproject.toml $(VENV)/.stamp-runtime
	@echo "Installo le dipendenze dei test"
	@$(PY) -m pip install -q -e '.[test]' > $(VENV)/pip.log 2>&1 || { cat $(VENV)/pip.log; exit 1; }
	@touch $@
