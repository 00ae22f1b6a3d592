"""The canary: verbatim quotes searched continuously over HTTP while a real ingest process
rewrites a large part of the catalog; every answer must be the clause it quotes, at
offsets that index the text the server shows (zero wrong)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx

from servers import running

DATA = Path(__file__).parent / "data"
LAW = "专利法(2020-10-17).md"


def _corpus(root: Path) -> Path:
    """The Chinese Patent Law and the patent slice split into 30 files."""
    corpus = root / "corpus"
    (corpus / "patents").mkdir(parents=True)
    shutil.copy(DATA / "statutes" / LAW, corpus / LAW)
    rows = [json.loads(line) for line in (DATA / "patents" / "patsnap-slice.jsonl").read_text().splitlines() if line]
    for i in range(30):
        part = rows[i::30]
        (corpus / "patents" / f"part-{i:02d}.jsonl").write_text("\n".join(json.dumps(r) for r in part))
    return corpus


def _rewrite(corpus: Path) -> None:
    """Changes that re-insert most rows but keep the quoted text: the law loses its first
    article (every later article moves), every patent's title changes (its chunk's
    embedded context, so its chunk id)."""
    law = corpus / LAW
    text = law.read_text(encoding="utf-8")
    law.write_text(text[: text.index("第一条")] + text[text.index("第二条") :], encoding="utf-8")
    for path in (corpus / "patents").glob("*.jsonl"):
        rows = [json.loads(line) for line in path.read_text().splitlines() if line]
        for r in rows:
            r["title"] = f"{r.get('title') or ''} (revised)"
        path.write_text("\n".join(json.dumps(r) for r in rows))


def _quotes(base: str) -> list[tuple[str, str, str]]:
    """(doc id, path, verbatim sentence) of law articles 2.. and of patent abstracts."""
    out: list[tuple[str, str, str]] = []
    law = httpx.get(f"{base}/documents/cn-patent-law-2020", timeout=30).json()
    for c in law["chunks"]:
        sentence = re.split(r"(?<=[。；：])", c["text"].strip())[0]
        if c["kind"] == "article" and c["path"] != "第一条" and len(sentence) >= 12:
            out.append(("cn-patent-law-2020", c["path"], sentence))
    rows = [json.loads(line) for line in (DATA / "patents" / "patsnap-slice.jsonl").read_text().splitlines() if line]
    abstracts = [r["abstract"] for r in rows]
    for r in rows[:60]:
        sentence = r["abstract"].split(". ")[0]
        # Family members share abstracts: only a sentence one document holds names one answer.
        if len(sentence) > 40 and sum(sentence in a for a in abstracts) == 1:
            out.append((r["publication_number"], "abstract", sentence))
    return out


def _wrong(base: str, doc_id: str, path: str, quote: str) -> str | None:
    r = httpx.post(f"{base}/search", json={"query": quote, "k": 1, "group": "chunk", "mode": "lexical"}, timeout=30)
    if r.status_code != 200:
        return f"HTTP {r.status_code}: {r.text[:200]}"
    hits = r.json()["hits"]
    if not hits:
        return f"{quote[:30]}: no answer"
    hit, p = hits[0], hits[0]["passages"][0]
    generation = r.json()["generation"]  # the document as the generation that answered shows it
    if hit["doc_id"] != doc_id or p["path"] != path or quote not in p["text"]:
        return f"{quote[:30]}: quoted {doc_id} {path}, answered {hit['doc_id']} {p['path']}"
    ctx = httpx.get(
        f"{base}/documents/{doc_id}/context",
        params={"start": p["start"], "end": p["end"], "window": 0, "generation": generation},
        timeout=30,
    ).json()
    if ctx.get("passage") != p["text"]:
        return f"{quote[:30]}: offsets {p['start']}-{p['end']} do not index the text the server shows"
    return None


def test_no_wrong_answer_while_a_large_ingest_runs(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path)
    env = {"NAVSEARCH_INDEX_DIR": str(tmp_path / "index"), "NAVSEARCH_EMBEDDING__BACKEND": "hashing"}
    cli = [sys.executable, "-m", "navsearch.cli", "ingest", str(corpus), "--quiet"]
    subprocess.run(cli, env={**os.environ, **env}, check=True, capture_output=True)
    _rewrite(corpus)
    with running(env) as server:
        quotes = _quotes(server.base)
        assert len(quotes) > 50
        ingest = subprocess.Popen(cli, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        wrong: list[str] = []
        during = after = 0
        deadline = time.time() + 300
        i = 0
        while (ingest.poll() is None or after < len(quotes)) and time.time() < deadline:
            doc_id, path, quote = quotes[i % len(quotes)]
            problem = _wrong(server.base, doc_id, path, quote)
            if problem:
                wrong.append(problem)
            if ingest.poll() is None:
                during += 1
            else:
                after += 1
            i += 1
        out = ingest.stdout.read().decode() if ingest.stdout else ""
        assert ingest.wait() == 0, out
        assert during >= 10, f"only {during} queries ran during the ingest"
        assert wrong == [], wrong[:5]
        generation = httpx.get(f"{server.base}/health", timeout=30).json()["generation"]
        assert generation == 2  # the server moved to the new generation and still answered right
