"""Browser-test support: the real app served over HTTP on 127.0.0.1, headless Chromium
driven by Playwright, and a watch on every page for console errors and for requests to any
host but the app's own."""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import uvicorn
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright, Route

from navsearch.answer.llama_server import free_port
from navsearch.api.app import create_app
from navsearch.service import NavSearch

# Debian's chromium (what `make test` installs); NAVSEARCH_CHROMIUM names another binary.
CHROMIUM = os.environ.get("NAVSEARCH_CHROMIUM", "/usr/bin/chromium")
INSTALL_HINT = "run `make test` (it installs Debian's chromium) or `apt-get install chromium fonts-wqy-zenhei`"


@contextmanager
def serve(service: NavSearch) -> Iterator[str]:
    """The app of create_app (JSON API, web page, docs) in a uvicorn thread; yields its URL."""
    port = free_port()
    config = uvicorn.Config(create_app(service.settings, service=service), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started:
        assert thread.is_alive(), "the server thread stopped while starting"
        assert time.time() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def launch(playwright: Playwright) -> Browser:
    """Headless Chromium; raises (so the test fails, never skips) when it cannot start."""
    path = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
    try:
        if path:
            # --no-sandbox: CI and this machine run as root, where Chromium's sandbox refuses to start.
            return playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        return playwright.chromium.launch()  # Playwright's own browser, if it was installed
    except Exception as exc:  # noqa: BLE001  (any launch failure is the same failure for us)
        raise RuntimeError(f"headless Chromium could not start ({exc}); {INSTALL_HINT}") from exc


@dataclass
class Watch:
    """What a page did that the tests forbid: console errors, uncaught exceptions and
    requests to other hosts (aborted, so nothing leaves the machine)."""

    host: str
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    expected_statuses: set[int] = field(default_factory=set)

    def attach(self, context: BrowserContext, page: Page) -> None:
        def route(r: Route) -> None:
            url = r.request.url
            if urlsplit(url).scheme in ("data", "blob") or urlsplit(url).hostname == self.host:
                r.continue_()
            else:
                self.external.append(url)
                r.abort()

        context.route("**/*", route)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))

    def _console(self, msg: ConsoleMessage) -> None:
        if msg.type != "error":
            return
        # Chromium logs every 4xx answer as "Failed to load resource"; a test that provokes
        # one (a bad date: 422) says which status it expects, and only that one is let through.
        if any(f"status of {s} " in msg.text for s in self.expected_statuses):
            return
        self.console_errors.append(msg.text)

    def check(self) -> None:
        assert not self.page_errors, f"uncaught errors in the page: {self.page_errors}"
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.external, f"requests to other hosts: {self.external}"


def corpus(data_dir: Path, root: Path) -> Path:
    """The small real corpus of tests/conftest.py's small_corpus, in a folder of its own."""
    out = root / "corpus"
    for sub, name in [
        ("policy", "sipo-circulars-2013.txt"),
        ("statutes", "gdpr-slice.json"),
        ("statutes", "专利法(2020-10-17).md"),
        ("statutes", "usc35-slice.xml"),
        ("patents", "patsnap-slice.jsonl"),
    ]:
        (out / sub).mkdir(parents=True, exist_ok=True)
        shutil.copy(data_dir / sub / name, out / sub / name)
    shutil.copy(data_dir / "uspto" / "US08930553.xml", out / "patents")
    return out


TIMEOUT = 60_000  # ms for any wait in the page; the first request also warms the model


def new_page(browser: Browser, watch: Watch, width: int = 1400, height: int = 900) -> Page:
    """A page in a fresh context (its own sessionStorage), watched."""
    context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT)
    watch.attach(context, page)
    return page


def settled(page: Page, state: str = "done") -> None:
    """Wait until the page has shown its answer (done), its error, or nothing to run (idle)."""
    page.wait_for_selector(f"body[data-state={state}]")


def run_query(page: Page, base_url: str, tab_label: str, text: str) -> None:
    """What a person does: open the page, pick the tab, type, press Enter."""
    page.goto(base_url + "/")
    page.wait_for_selector("body[data-ready=true]")
    page.locator(".tabs label", has_text=tab_label).click()  # the radio itself is drawn by its label
    page.get_by_role("textbox", name=re.compile("Idea|Question")).fill(text)
    page.keyboard.press("Enter")
    settled(page)
