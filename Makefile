# The two commands of the README. Everything they need is installed here, nothing by hand.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint install system-packages clean

$(BIN)/python:
	$(shell command -v $(PYTHON) || command -v python3) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]' > $(VENV)/install.log 2>&1 \
		|| (tail -n 40 $(VENV)/install.log; exit 1)
	$(BIN)/python -c "import qinglian, prefect, sqlmodel, openpyxl, chinese_calendar, docx, matplotlib"
	touch $(STAMP)

install: $(STAMP)

# Debian packages the documents need: LibreOffice (PDF reports, the tests' XLSX/DOCX checks), a
# CJK font (Chinese in the charts and the PDF), Chromium (the portal's browser tests, driven by
# Playwright: its own browser download is not used) and Dovecot (the mail intake's tests: a real
# IMAP server the tests start on a high port, never the system's). Without root or a package
# mirror the tests that need them skip with their reason.
SYSTEM_PACKAGES := libreoffice-writer-nogui libreoffice-calc-nogui fonts-noto-cjk chromium \
	dovecot-imapd poppler-utils
system-packages:
	@(command -v soffice >/dev/null && command -v chromium >/dev/null \
		&& command -v pdftotext >/dev/null \
		&& (command -v dovecot || test -x /usr/sbin/dovecot) >/dev/null \
		&& fc-list 2>/dev/null | grep -qi "noto.*cjk") \
		|| (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends $(SYSTEM_PACKAGES) >/dev/null) \
		|| echo "warning: could not install $(SYSTEM_PACKAGES); what needs them is skipped"

demo: $(STAMP) system-packages
	$(BIN)/qinglian demo

test: $(STAMP) system-packages
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) .qinglian .pytest_cache
