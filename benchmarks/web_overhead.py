"""What the web page costs over the JSON call it makes, measured in headless Chromium.

For each run the page is opened at a search URL (a fresh load: HTML shell, CSS, the
scripts, then POST /search, then the results drawn) and two times are read from the
browser's Performance API: when the results were shown (from navigation start) and how
long the /search call took. Their difference is the page's own overhead. Then a second
search is typed into the open page: from its request to its results shown, less its
/search call, is the overhead of a search in a page already loaded. The same query is
also sent straight to the JSON API, for comparison. Medians over --runs.

    .venv/bin/navsearch serve &   # the bundled corpus, real model (make run)
    .venv/bin/python benchmarks/web_overhead.py --url http://127.0.0.1:8000 --runs 20
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from web_support import launch  # noqa: E402  (the tests' Chromium launcher)
from machine import cpu_model  # beside this script

QUERIES = [
    "how many pilot enterprises of patent operation will be cultivated",
    "a notebook computer whose battery pack detaches at the hinge",
    "right to have personal data erased",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "reports" / "web_overhead.json")
    args = ap.parse_args()
    api_ms, shown_ms, call_ms, shell_ms, again_overhead = [], [], [], [], []
    with httpx.Client(base_url=args.url, timeout=60) as client, sync_playwright() as pw:
        for q in QUERIES:  # warm the model and the caches
            client.post("/search", json={"query": q, "k": 10})
        browser = launch(pw)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        for i in range(args.runs):
            q = QUERIES[i % len(QUERIES)]
            t0 = time.perf_counter()
            client.post("/search", json={"query": q, "k": 10}).raise_for_status()
            api_ms.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            client.get("/").raise_for_status()
            shell_ms.append((time.perf_counter() - t0) * 1000)
            page.goto(f"{args.url}/?tab=search&q={quote(q)}")
            page.wait_for_selector("body[data-state=done]", timeout=60_000)
            t = page.evaluate(
                """() => ({
                  shown: performance.getEntriesByName('navsearch:rendered')[0].startTime,
                  call: performance.getEntriesByType('resource').find(e => e.name.endsWith('/search')).duration,
                })"""
            )
            shown_ms.append(t["shown"])
            call_ms.append(t["call"])
            # The next search from the page already open: type, press Enter.
            page.evaluate("performance.clearResourceTimings()")
            page.fill("#q", QUERIES[(i + 1) % len(QUERIES)])
            page.evaluate("document.body.dataset.state = 'typed'")
            page.press("#q", "Enter")
            page.wait_for_selector("body[data-state=done]", timeout=60_000)
            t = page.evaluate(
                """() => ({
                  took: performance.getEntriesByName('navsearch:rendered')[0].startTime
                        - performance.getEntriesByName('navsearch:request')[0].startTime,
                  call: performance.getEntriesByType('resource').find(e => e.name.endsWith('/search')).duration,
                })"""
            )
            again_overhead.append(t["took"] - t["call"])
        browser.close()
    med = statistics.median
    overhead = [s - c for s, c in zip(shown_ms, call_ms)]
    report = {
        "cpu": cpu_model(),
        "runs": args.runs,
        "json_api_ms": round(med(api_ms), 1),
        "page_results_shown_ms": round(med(shown_ms), 1),
        "page_search_call_ms": round(med(call_ms), 1),
        "page_overhead_ms": round(med(overhead), 1),
        "next_search_overhead_ms": round(med(again_overhead), 1),
        "shell_html_ms": round(med(shell_ms), 1),
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
