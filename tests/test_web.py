"""The web page in headless Chromium (Playwright) against the real app over HTTP on
127.0.0.1, with the real model on a small real corpus.

Every page is watched: a console error, an uncaught exception or a request to any host
but 127.0.0.1 fails the test (see web_support.Watch). Screenshots of each view go to
$NAVSEARCH_SCREENSHOT_DIR (docs/screenshots to refresh the committed ones) or a temp dir.
The browser must start: a missing Chromium fails these tests, it never skips them.
Fixtures (the index, the server, the browser, the watched page): tests/conftest.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from navsearch.service import NavSearch
from web_support import Watch, run_query, settled

pytestmark = pytest.mark.slow
BATTERY_IDEA = "a notebook computer whose battery pack detaches at the hinge"
SIP_IDEA = (
    "A server handles SIP messages that arrive in the middle of a dialog. A processor receives the "
    "mid-dialog SIP message from a user agent client. When no existing session matches, a new SIP "
    "session is created and associated with the message."
)
SIPO_QUESTION = "How many national pilot enterprises of patent operation will be cultivated?"


def test_search_groups_by_document_with_marked_passages_and_a_shareable_url(
    page: Page, web_url: str, shots: Path
) -> None:
    run_query(page, web_url, "Search", BATTERY_IDEA)
    hits = page.locator("li.hit")
    docs = hits.evaluate_all("els => els.map(e => e.dataset.doc)")
    assert {"US5901035", "US6078496"} & set(docs[:3]), docs
    assert len(docs) == len(set(docs)) == 10  # one entry per document
    first = hits.first
    expect(first.locator("blockquote mark").first).to_be_visible()  # the query's words marked
    assert first.locator("mark").evaluate_all("els => els.map(e => e.textContent.toLowerCase())")[0] in (
        "battery", "batteries", "notebook", "computer", "detaches", "hinge", "pack"
    )
    expect(first.locator("cite").first).to_have_text(re.compile(r"^US\d+[AB]?\d?, (abstract|claim \d+|\[\d{4}\])"))
    # The URL holds the query: a reload (or a shared link) shows the same results.
    query = parse_qs(urlsplit(page.url).query)
    assert query["q"] == [BATTERY_IDEA] and query["tab"] == ["search"]
    page.screenshot(path=shots / "search.png")
    page.reload()
    settled(page)
    assert page.locator("li.hit").evaluate_all("els => els.map(e => e.dataset.doc)") == docs
    expect(page.get_by_role("textbox", name=re.compile("Idea"))).to_have_value(BATTERY_IDEA)
    # More results: ten more, and the URL says so.
    page.get_by_role("button", name="More results").click()
    settled(page)
    assert page.locator("li.hit").count() == 20 and "k=20" in page.url
    expect(page.locator("li.hit").nth(10).locator(".hit-title a")).to_be_focused()  # where the new ones start


def test_filters_reach_the_api_and_stay_in_the_url(page: Page, web_url: str) -> None:
    page.goto(web_url + "/")
    page.wait_for_selector("body[data-ready=true]")
    page.get_by_label("Patents").check()
    page.get_by_label("To (inclusive)").fill("1999-12-31")
    page.get_by_label("IPC prefixes").fill("h05k")
    page.get_by_role("textbox", name=re.compile("Idea")).fill("battery")
    page.get_by_role("button", name="Search", exact=True).click()
    settled(page)
    query = parse_qs(urlsplit(page.url).query)
    assert query["type"] == ["patent"] and query["to"] == ["1999-12-31"] and query["ipc"] == ["h05k"]
    metas = page.locator("li.hit .meta").all_inner_texts()
    assert metas and all(m.startswith("patent") and "H05K" in m for m in metas), metas
    published = [re.search(r"published (\S+)", m).group(1) for m in metas]  # type: ignore[union-attr]
    assert all(p <= "1999-12-31" for p in published), published


def test_document_opens_at_its_citation_with_the_span_highlighted(
    page: Page, web_url: str, web_service: NavSearch, shots: Path
) -> None:
    run_query(page, web_url, "Search", "how many pilot enterprises of patent operation will be cultivated")
    first = page.locator("li.hit").first
    assert first.get_attribute("data-doc") == "sipo-2013-27"
    expect(first.locator("cite").first).to_have_text("Circular of the State Intellectual Property Office on "
                                                      "Implementing Patent Navigation Pilot Project, "
                                                      "G. ZH. F. G. Z. [2013] No. 27, IV.i.3")
    passage = first.locator("blockquote").first.inner_text()
    first.get_by_role("link", name=re.compile("Open .* in the document")).first.click()
    settled(page)
    mark = page.locator("mark#cited")
    expect(mark).to_be_in_viewport()
    expect(mark).to_be_focused()
    assert mark.inner_text() == passage
    start, end = (int(parse_qs(urlsplit(page.url).query)[k][0]) for k in ("start", "end"))
    _, text, _ = web_service.document("sipo-2013-27")
    assert text[start:end] == mark.inner_text()  # the highlight is the stored text at the cited offsets
    expect(page.locator(".cited-at")).to_contain_text("IV.i.3")
    nav = page.get_by_role("navigation", name="Document structure")
    expect(nav.get_by_role("link", name=re.compile(r"^IV\.i\.3"))).to_be_visible()
    expect(page.locator("#report-h")).to_have_text("Ingestion report")
    expect(page.locator(".report")).to_contain_text("What the parser repaired")
    page.screenshot(path=shots / "document.png")
    # Structure as navigation: a claim tree on a patent, each link moves focus to its place.
    page.goto(web_url + "/?doc=US8930553B2")
    settled(page)
    nav = page.get_by_role("navigation", name="Document structure")
    expect(nav.get_by_role("link", name="claim 2 (on claim 1)")).to_be_visible()
    nav.get_by_role("link", name="claim 8").click()
    expect(page.locator(".doctext .anchor:focus")).to_have_count(1)


def test_prior_art_matrix_cell_quotes_and_exports(page: Page, web_url: str, web_service: NavSearch, shots: Path) -> None:
    run_query(page, web_url, "Prior art", SIP_IDEA)
    expect(page.locator("#results-h")).to_have_text(re.compile(r"Prior art: \d+ references?"))
    table = page.get_by_role("table")
    headers = table.locator("thead th").all_inner_texts()
    assert headers[1] == "1. US8930553B2", headers
    assert table.locator("tbody tr").count() == 3  # one row per element
    expect(page.locator(".findings")).to_contain_text("Anticipation: US8930553B2 discloses every element")
    # A cell opens its verbatim quote and where it is.
    cell = table.get_by_role("button", name=re.compile(r"^E2 in US8930553B2: disclosed"))
    cell.click()
    detail = page.get_by_role("region", name="Selected quote")
    expect(detail).to_be_focused()
    expect(cell).to_have_attribute("aria-expanded", "true")
    page.evaluate("document.querySelector('.findings').scrollIntoView({block: 'start'})")
    page.screenshot(path=shots / "prior-art.png")  # flags, matrix and the opened quote
    quote = detail.locator("blockquote").inner_text()
    link = detail.get_by_role("link", name="Open at this quote").get_attribute("href") or ""
    params = parse_qs(urlsplit(link).query)
    _, text, _ = web_service.document("US8930553B2")
    assert text[int(params["start"][0]) : int(params["end"][0])] == quote
    expect(detail).to_contain_text("verbatim: checked against the stored text")
    expect(page.locator("h3", has_text="Policy and statute clauses")).to_be_visible()
    # Exports: the JSON is the API's record, byte for byte; the CSV is the API's CSV.
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download JSON").click()
    record = json.loads(Path(dl.value.path()).read_text())
    assert record["idea"] == SIP_IDEA and record["references"][0]["doc_id"] == "US8930553B2"
    assert record["corpus_fingerprint"] and record["coverage"]["anticipating"] == ["US8930553B2"]
    with page.expect_download() as dl:
        page.get_by_role("button", name="Download CSV").click()
    rows = Path(dl.value.path()).read_text().splitlines()
    assert rows[0].startswith("# idea") and any(r.startswith("rank,doc_id,number") for r in rows)
    assert any(r.startswith("1,US8930553B2") for r in rows)


def test_ask_answers_with_numbered_citations_that_open_the_clause(page: Page, web_url: str, shots: Path) -> None:
    run_query(page, web_url, "Ask", SIPO_QUESTION)
    expect(page.locator("#results-h")).to_have_text("Answer")
    expect(page.locator(".answer blockquote").first).to_contain_text("about 30 national pilot enterprises")
    expect(page.locator(".answer sup").first).to_have_text("[1]")
    citation = page.locator(".citations a").first
    expect(citation).to_have_text(re.compile(r"G\. ZH\. F\. G\. Z\. \[2013\] No\. 27, IV\.i\.3$"))
    page.screenshot(path=shots / "ask-answered.png")
    citation.click()
    settled(page)
    expect(page.locator("mark#cited")).to_contain_text("about 30 national pilot enterprises")
    expect(page.locator("mark#cited")).to_be_in_viewport()
    page.go_back()  # back to the answer, from the URL
    settled(page)
    expect(page.locator("#results-h")).to_have_text("Answer")


def test_ask_off_corpus_is_refused_with_the_nearest_clauses(page: Page, web_url: str, shots: Path) -> None:
    run_query(page, web_url, "Ask", "How do I bake sourdough bread?")
    expect(page.locator("#results-h")).to_have_text("Not answered")
    expect(page.locator(".refusal")).to_have_text(
        "The corpus does not cover this question; the nearest clauses are listed as sources."
    )
    expect(page.locator(".answer")).to_have_count(0)
    expect(page.get_by_role("heading", name="Nearest clauses")).to_be_visible()
    assert page.locator(".sources li").count() >= 1
    page.screenshot(path=shots / "ask-refused.png")


def test_bad_input_shows_a_readable_message(page: Page, watch: Watch, web_url: str, shots: Path) -> None:
    watch.expected_statuses.add(422)  # the API's answer to a bad date; anything else still fails
    page.goto(web_url + "/")
    page.wait_for_selector("body[data-ready=true]")
    page.get_by_role("textbox", name=re.compile("Idea")).fill("battery")
    page.get_by_label("From").fill("2013-02-30")
    page.keyboard.press("Enter")  # Enter in a filter runs the search too
    settled(page, "error")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Invalid request")
    expect(alert).to_contain_text("From date:")
    expect(alert).to_contain_text("Write dates as YYYY-MM-DD")
    expect(page.get_by_label("From")).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=shots / "error.png")
    # From after To: the service's own check, in its own words.
    page.get_by_label("From").fill("2014-01-01")
    page.get_by_label("To (inclusive)").fill("2013-01-01")
    page.get_by_role("button", name="Search", exact=True).click()
    settled(page, "error")
    expect(alert).to_contain_text("date_from (2014-01-01) is after date_to (2013-01-01): nothing can match")
    # An empty query.
    page.goto(web_url + "/?tab=ask&q=")
    settled(page, "error")
    expect(page.get_by_role("alert")).to_contain_text("Question:")
    # A document that does not exist.
    watch.expected_statuses.add(404)
    page.goto(web_url + "/?doc=NOPE")
    settled(page, "error")
    expect(page.get_by_role("alert")).to_contain_text("no document with id 'NOPE'")
    assert "Traceback" not in page.content()
