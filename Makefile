# The two commands of the README: `make site` and `make test`. Both set up .venv first.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PYTEST := $(PY) -m pytest
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval.cfg
# two workers, a module (a notebook) per worker at a time, in the order tests/conftest.py gives
XDIST  := -n 2 --dist loadscope --no-loadscope-reorder

.PHONY: site site-html site-single serve lab test unit nbval screenshots notebooks bench lint clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# make site writes $(SITE_OUT)/_build/ (the tests build into a temporary folder)
SITE_OUT := .

site: $(STAMP)                       ## the static site, the notebook bundle and the book PDF
	$(MAKE) -j2 --no-print-directory SITE_OUT=$(SITE_OUT) site-html site-single
	$(PY) scripts/bundle.py $(SITE_OUT)/_build/html
	$(PY) scripts/book_pdf.py $(SITE_OUT)/_build/html $(SITE_OUT)/_build/single/_build/singlehtml

# The HTML site and the single-page book the PDF is printed from, built side by side (each
# into its own folder: two builds must not share Sphinx's environment).
site-html:
	$(VENV)/bin/jupyter-book build . -W -n --keep-going --path-output $(SITE_OUT)

site-single:
	$(VENV)/bin/jupyter-book build . --builder singlehtml -W -n --keep-going \
	    --path-output $(SITE_OUT)/_build/single

serve: site                          ## serve the built site on http://127.0.0.1:8000
	$(PY) -m http.server 8000 --bind 127.0.0.1 --directory _build/html

lab: $(STAMP)                        ## JupyterLab on 127.0.0.1 in chapters/, MyST rendered
	$(VENV)/bin/jupyter lab --ip=127.0.0.1 --ServerApp.root_dir=chapters \
	    $(if $(filter 0,$(shell id -u)),--allow-root)

test: $(STAMP)                       ## everything: unit, hygiene, nbval, build
	$(VENV)/bin/ruff check lossbook tests scripts _ext conftest.py
	$(PYTEST) $(XDIST) $(NBVAL) tests chapters

unit: $(STAMP)
	$(PYTEST) $(XDIST) tests --ignore=tests/test_site.py

nbval: $(STAMP)
	$(PYTEST) $(XDIST) $(NBVAL) chapters

screenshots: $(STAMP)                ## the browser test, saving every page in _build/screenshots/
	$(PYTEST) $(XDIST) tests/test_site.py --screenshots

notebooks: $(STAMP)                  ## regenerate stored outputs (the only way to make them)
	$(PY) scripts/run_notebooks.py

bench: $(STAMP)                      ## timings of the test suite and the site build
	$(PY) scripts/benchmark.py

lint: $(STAMP)
	$(VENV)/bin/ruff check lossbook tests scripts _ext conftest.py

clean:
	rm -rf _build
