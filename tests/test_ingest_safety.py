"""Ingestion loses nothing and stops on nothing: sources named by the root the user gave,
prune limited to what it is given (refused on an empty folder, dry run first), shrinking
files refused past a share, every file parsed in a worker under limits, huge sections
chunked in bounded time and memory, and a killed ingest resumed without re-embedding."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from navsearch.cli import app
from navsearch.embedding.fake import HashingEmbedder
from navsearch.errors import InvalidInput
from navsearch.service import NavSearch
from navsearch.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
PATSNAP = Path(__file__).parent / "data" / "patents" / "patsnap-slice.jsonl"


def circular(n: int) -> str:
    """A small circular whose number gives it its own doc id (sipo-2013-<n>)."""
    return f"Circular of the Office on Testing Things Number {n}\n\nG. Z. [2013] No. {n}\n\nI. Scope\n\nIt applies.\n"


def folder(path: Path, numbers: dict[str, int]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, n in numbers.items():
        (path / name).write_text(circular(n))
    return path


def service(tmp_path: Path, **ingest: object) -> NavSearch:
    limits = {"ingest": ingest} if ingest else {}
    settings = Settings(index_dir=tmp_path / "index", embedding={"model": "hashing-256"}, **limits)
    return NavSearch(settings, embedder=HashingEmbedder(256))


def stored(ns: NavSearch) -> set[str]:
    """The current documents (a removed one's rows stay, retired, while a kept generation shows it)."""
    return {r[0] for r in ns.catalog.con.execute("SELECT doc_id FROM documents WHERE retired IS NULL")}


def sources(ns: NavSearch) -> set[str]:
    return set(ns.catalog.files())


def state(ns: NavSearch) -> list[list[tuple[object, ...]]]:
    """Every row ingest writes."""
    queries = (
        "SELECT path, sha256, doc_ids FROM files",
        "SELECT doc_id, content_hash, source FROM documents",
        "SELECT chunk_id FROM chunks",
        "SELECT path, step FROM failures",
        "SELECT path, label FROM roots",
        "SELECT chunk_id FROM pending_vectors",
    )
    tables = {r[0] for r in ns.catalog.con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    return [
        sorted(tuple(row) for row in ns.catalog.con.execute(sql)) if sql.split()[-1] in tables else []
        for sql in queries
    ]


# --- 1. sources named by their root; prune limited to what it is given --------------------
def test_prune_after_a_file_given_keeps_the_rest_of_its_folder(tmp_path: Path) -> None:
    docs = folder(tmp_path / "docs", {"a.txt": 1, "b.txt": 2, "c.txt": 3})
    ns = service(tmp_path)
    ns.ingest([docs], progress=False)
    report = ns.ingest([docs / "a.txt"], prune=True, progress=False)
    assert report.documents_pruned == 0 and not report.failed
    assert [(f.path, f.status) for f in report.files] == [("docs/a.txt", "unchanged")]
    assert stored(ns) == {"sipo-2013-1", "sipo-2013-2", "sipo-2013-3"}


def test_two_folders_with_the_same_name_do_not_collide(tmp_path: Path) -> None:
    team1 = folder(tmp_path / "team1" / "docs", {"a.txt": 1, "b.txt": 2})
    team2 = folder(tmp_path / "team2" / "docs", {"a.txt": 3})
    ns = service(tmp_path)
    ns.ingest([team1], progress=False)
    report = ns.ingest([team2], prune=True, progress=False)
    assert report.documents_pruned == 0 and not report.failed
    assert [f.path for f in report.files] == ["team2/docs/a.txt"]  # readable, and not team1's docs/a.txt
    assert stored(ns) == {"sipo-2013-1", "sipo-2013-2", "sipo-2013-3"}
    assert sources(ns) == {"docs/a.txt", "docs/b.txt", "team2/docs/a.txt"}
    # Each prunes its own: b.txt gone from team1 leaves team2 alone, and the other way round.
    (team1 / "b.txt").unlink()
    assert ns.ingest([team1], prune=True, progress=False).pruned == ["docs/b.txt"]
    assert ns.ingest([team2], prune=True, progress=False).pruned == []
    assert stored(ns) == {"sipo-2013-1", "sipo-2013-3"}


def test_a_file_given_before_its_folder_keeps_its_name(tmp_path: Path) -> None:
    docs = folder(tmp_path / "docs", {"a.txt": 1, "b.txt": 2})
    ns = service(tmp_path)
    ns.ingest([docs / "a.txt"], progress=False)
    report = ns.ingest([docs], prune=True, progress=False)
    assert [(f.path, f.status) for f in report.files] == [("docs/a.txt", "unchanged"), ("docs/b.txt", "indexed")]
    assert not report.failed and report.pruned == []
    (docs / "a.txt").unlink()
    assert ns.ingest([docs], prune=True, progress=False).pruned == ["docs/a.txt"]
    assert stored(ns) == {"sipo-2013-2"}


def test_prune_refuses_an_empty_or_missing_folder(tmp_path: Path) -> None:
    docs = folder(tmp_path / "share", {"a.txt": 1, "b.txt": 2})
    ns = service(tmp_path)
    ns.ingest([docs], progress=False)
    for path in docs.iterdir():
        path.unlink()  # the share is not mounted: the mount point is an empty folder
    with pytest.raises(InvalidInput, match="--prune refused: .*share holds no file to ingest"):
        ns.ingest([docs], prune=True, progress=False)
    docs.rmdir()
    with pytest.raises(InvalidInput, match="--prune refused: .*share does not exist"):
        ns.ingest([docs], prune=True, progress=False)
    assert stored(ns) == {"sipo-2013-1", "sipo-2013-2"}


def test_prune_removes_only_gone_files_under_the_folders_given(tmp_path: Path) -> None:
    corpus = folder(tmp_path / "corpus" / "policy", {"a.txt": 1, "b.txt": 2}).parent
    folder(corpus / "more", {"c.txt": 3})
    ns = service(tmp_path)
    ns.ingest([corpus], progress=False)
    (corpus / "policy" / "b.txt").unlink()
    (corpus / "more" / "c.txt").unlink()
    report = ns.ingest([corpus / "policy"], prune=True, progress=False)  # a subfolder: the same sources
    assert [(f.path, f.status) for f in report.files] == [("corpus/policy/a.txt", "unchanged")]
    assert report.pruned == ["corpus/policy/b.txt"] and report.documents_pruned == 1
    assert stored(ns) == {"sipo-2013-1", "sipo-2013-3"}  # more/c.txt is outside the folder given


def test_dry_run_lists_what_would_change_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = folder(tmp_path / "docs", {"a.txt": 1, "b.txt": 2})
    ns = service(tmp_path)
    ns.ingest([docs], progress=False)
    (docs / "a.txt").write_text(circular(1).replace("It applies.", "It applies to everyone."))
    (docs / "b.txt").unlink()
    (docs / "d.txt").write_text(circular(4))
    (docs / "c.json").write_text("[" * 200_000 + "]" * 200_000)  # a failure is listed, not recorded
    other = folder(tmp_path / "other", {"e.txt": 5})  # a new root is not recorded
    before = (state(ns), ns.info())
    report = ns.ingest([docs, other], prune=True, dry_run=True, progress=False)
    assert report.dry_run and report.generation == 1
    assert [(f.path, f.status, f.documents_added, f.documents_changed) for f in report.files] == [
        ("docs/a.txt", "planned", 0, 1),
        ("docs/c.json", "failed", 0, 0),
        ("docs/d.txt", "planned", 1, 1),
        ("other/e.txt", "planned", 1, 1),
    ]
    assert report.pruned == ["docs/b.txt"] and report.documents_pruned == 1
    assert (state(ns), ns.info()) == before
    (docs / "c.json").unlink()

    monkeypatch.setenv("NAVSEARCH_INDEX_DIR", str(ns.settings.index_dir))
    monkeypatch.setenv("NAVSEARCH_EMBEDDING__BACKEND", "hashing")
    result = CliRunner().invoke(app, ["ingest", str(docs), "--prune", "--dry-run", "-q"])
    assert result.exit_code == 0, result.output
    assert "dry run: nothing was written" in result.output
    assert "planned   docs/d.txt: 1 document(s): would add 1, change 0, remove 0" in result.output
    assert "would prune docs/b.txt" in result.output
    assert (state(ns), ns.info()) == before


def test_an_index_with_old_source_names_is_adopted_not_duplicated(tmp_path: Path) -> None:
    """A catalog written before roots were recorded named sources "<folder>/<file>"."""
    corpus = folder(tmp_path / "corpus" / "policy", {"a.txt": 1, "b.txt": 2}).parent
    (corpus / "c.txt").write_text(circular(3))
    ns = service(tmp_path)
    ns.ingest([corpus], progress=False)
    # Back to the old catalog: the same rows, no roots recorded.
    ns.catalog.con.executescript("DROP TABLE roots; DROP TABLE pending_vectors;")
    assert sources(ns) == {"corpus/policy/a.txt", "corpus/policy/b.txt", "corpus/c.txt"}

    embedder = ns.embedder
    calls = embedder.calls  # type: ignore[attr-defined]
    report = ns.ingest([corpus], progress=False)
    assert not report.failed and {f.status for f in report.files} == {"unchanged"}
    assert embedder.calls == calls  # type: ignore[attr-defined]
    assert sources(ns) == {"corpus/policy/a.txt", "corpus/policy/b.txt", "corpus/c.txt"}
    assert ns.catalog.counts()["documents"] == 3
    # They are the root's sources now: prune finds a gone one.
    (corpus / "policy" / "b.txt").unlink()
    assert ns.ingest([corpus], prune=True, progress=False).pruned == ["corpus/policy/b.txt"]


# --- 3. nothing removed silently ------------------------------------------------------------
def _patsnap_copy(tmp_path: Path) -> Path:
    patents = tmp_path / "patents"
    patents.mkdir()
    return Path(shutil.copy(PATSNAP, patents / "patsnap.jsonl"))


def test_a_truncated_file_is_refused_unless_shrink_is_allowed(tmp_path: Path) -> None:
    path = _patsnap_copy(tmp_path)
    ns = service(tmp_path)
    ns.ingest([path.parent], progress=False)
    before = ns.catalog.counts()
    assert before["documents"] == 350
    path.write_text("\n".join(path.read_text().splitlines()[:100]) + "\n")

    report = ns.ingest([path.parent], progress=False)
    assert [(f.path, f.status, f.documents_removed) for f in report.files] == [("patents/patsnap.jsonl", "failed", 0)]
    [failed] = report.failed
    assert "would remove 250 of its 350 stored documents (71%)" in (failed.error or "")
    assert ns.catalog.counts() == before
    [failure] = ns.failures()
    assert failure.step == "shrink" and "--allow-shrink" in failure.error

    report = ns.ingest([path.parent], progress=False, allow_shrink=True)
    assert not report.failed and report.files[0].documents_removed == 250
    assert ns.catalog.counts()["documents"] == 100 and ns.failures() == []


def test_cli_says_how_many_documents_a_file_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _patsnap_copy(tmp_path)
    monkeypatch.setenv("NAVSEARCH_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("NAVSEARCH_EMBEDDING__BACKEND", "hashing")
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(path), "-q"]).exit_code == 0
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:340]) + "\n")  # 10 fewer: within the share
    result = runner.invoke(app, ["ingest", str(path), "-q"])
    assert result.exit_code == 0, result.output
    assert "indexed   patents/patsnap.jsonl: 340 document(s), 0 changed, 10 removed" in result.output

    path.write_text("\n".join(lines[:100]) + "\n")
    result = runner.invoke(app, ["ingest", str(path), "-q"])
    assert result.exit_code == 1
    assert "failed    patents/patsnap.jsonl: 0 document(s) — patents/patsnap.jsonl: shrink: would remove 240 of its 340" in result.output
    result = runner.invoke(app, ["ingest", str(path), "-q", "--allow-shrink"])
    assert result.exit_code == 0 and "100 document(s), 0 changed, 240 removed" in result.output


# --- 5. one bad file costs that file --------------------------------------------------------
def test_deeply_nested_json_costs_only_its_file(tmp_path: Path) -> None:
    docs = folder(tmp_path / "docs", {"a.txt": 1, "z.txt": 2})
    (docs / "deep.json").write_text("[" * 200_000 + "]" * 200_000)
    ns = service(tmp_path)
    report = ns.ingest([docs], progress=False)
    assert [(f.path, f.status) for f in report.files] == [
        ("docs/a.txt", "indexed"), ("docs/deep.json", "failed"), ("docs/z.txt", "indexed"),
    ]
    [failure] = ns.failures()
    assert failure.path == "docs/deep.json" and "nested too deeply" in failure.error
    assert stored(ns) == {"sipo-2013-1", "sipo-2013-2"}


def _numbered_text(mb: float) -> str:
    clause = "{n}. The applicant shall file the request with the office and pay the fee within two months."
    lines = ["Circular of the Office on Testing Things Properly", ""]
    section = size = 0
    while size < mb * 1e6:
        section += 1
        lines += [f"{'I' * (section % 3 + 1)}{'X' * (section // 3)}. Section {section}", ""]
        lines += [clause.format(n=n) + "\n" for n in range(1, 100)]
        size += 100 * len(clause)
    return "\n".join(lines)


def test_a_parse_over_its_time_limit_is_stopped_and_the_run_goes_on(tmp_path: Path) -> None:
    docs = folder(tmp_path / "docs", {"a.txt": 1, "z.txt": 2})
    (docs / "big.txt").write_text(_numbered_text(20))  # seconds to parse; the limit is one
    ns = service(tmp_path, parse_timeout_s=1.0)
    started = time.perf_counter()
    report = ns.ingest([docs], progress=False)
    assert time.perf_counter() - started < 30
    assert [(f.path, f.status) for f in report.files] == [
        ("docs/a.txt", "indexed"), ("docs/big.txt", "failed"), ("docs/z.txt", "indexed"),
    ]
    assert "timed out after 1 s (ingest.parse_timeout_s)" in (report.failed[0].error or "")
    assert [f.path for f in ns.failures()] == ["docs/big.txt"]


def test_a_parse_over_its_memory_limit_is_stopped(tmp_path: Path) -> None:
    docs = folder(tmp_path / "docs", {"a.txt": 1, "z.txt": 2})
    (docs / "big.json").write_text(json.dumps({"chapters": [f"a{i}" for i in range(3_000_000)]}))
    ns = service(tmp_path, parse_memory_mb=256)
    report = ns.ingest([docs], progress=False)
    assert [(f.path, f.status) for f in report.files] == [
        ("docs/a.txt", "indexed"), ("docs/big.json", "failed"), ("docs/z.txt", "indexed"),
    ]
    assert "out of memory: the parse needed more than ingest.parse_memory_mb = 256 MB" in (report.failed[0].error or "")


def test_a_file_over_the_size_cap_is_refused_unread(tmp_path: Path) -> None:
    docs = folder(tmp_path / "docs", {"a.txt": 1})
    (docs / "big.txt").write_text(_numbered_text(0.2))
    report = service(tmp_path, max_file_mb=0.1).ingest([docs], progress=False)
    assert [(f.path, f.status) for f in report.files] == [("docs/a.txt", "indexed"), ("docs/big.txt", "failed")]
    assert "MB is over ingest.max_file_mb = 0.1 MB" in (report.failed[0].error or "")


def _bounded(script: str, *args: str, timeout: float) -> dict[str, float]:
    """Run ``script`` with this checkout's navsearch in a fresh interpreter (its memory
    is its own) and return the JSON it prints; a run past ``timeout`` fails the test."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        out = subprocess.run(
            [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=timeout, env=env, check=True
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"did not finish within {timeout} s")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


PEAK = 'int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) // 1024'


def test_a_paragraph_wrapped_over_many_lines_parses_in_linear_time(tmp_path: Path) -> None:
    """Text extracted from a PDF: one paragraph of 1 MB in 80-character lines."""
    words = "the applicant shall file a request with the office and pay the fee within two months".split()
    lines = ["Circular of the Office on Testing Things Properly", "", "I. Scope", ""]
    line: list[str] = []
    for i in range(200_000):
        line.append(words[i % len(words)] + ("," if i % 13 == 12 else ""))
        if len(line) == 14:
            lines.append(" ".join(line))
            line = []
    path = tmp_path / "wrapped.txt"
    path.write_text("\n".join(lines))
    script = (
        "import json, sys, time; from pathlib import Path\n"
        "from navsearch.ingest.registry import parse_file\n"
        "t = time.perf_counter(); [doc] = parse_file(Path(sys.argv[1]), 'x')\n"
        "print(json.dumps({'seconds': time.perf_counter() - t, 'chars': len(doc.text)}))\n"
    )
    result = _bounded(script, str(path), timeout=60)  # before: 80 s for half of it, quadratic
    assert result["chars"] > 1_000_000 and result["seconds"] < 15


@pytest.mark.slow
def test_huge_sections_chunk_in_bounded_time_and_memory(tmp_path: Path, real_embedder: object) -> None:
    """With the real tokenizer: a 2 MB Chinese article without a full stop (before: 92 s
    per MB, 1.2 GB at 3 MB) and an English clause of 5 MB (before: 640 MB more)."""
    chinese = "专利申请人应当在规定期限内向国务院专利行政部门提交请求书说明书及其摘要和权利要求书等文件并缴纳费用"
    article = "".join(chinese[(i * 7) % len(chinese)] for i in range(700_000))
    (tmp_path / "law.md").write_text(f"# 中华人民共和国测试法\n\n<!-- INFO END -->\n\n## 第一章 总则\n\n第一条 {article}\n")
    sentence = "The applicant shall file the request with the office and pay the fee within two months. "
    (tmp_path / "clause.txt").write_text(
        "Circular of the Office on Testing Things Properly\n\nI. Scope\n\n" + sentence * 55_000 + "\n"
    )
    script = (
        "import json, sys, time; from pathlib import Path\n"
        "from navsearch.settings import Settings\n"
        "from navsearch.embedding.registry import make_embedder\n"
        "from navsearch.chunking.chunker import Chunker\n"
        "from navsearch.ingest.registry import parse_file\n"
        "embedder = make_embedder(Settings().embedding)\n"
        "chunker = Chunker(embedder.count_tokens, min(256, embedder.max_tokens), 32)\n"
        "out = {}\n"
        "for name in sys.argv[1:]:\n"
        "    docs = parse_file(Path(name), 'x')\n"
        f"    base = {PEAK}; t = time.perf_counter()\n"
        "    chunks = [c for d in docs for c in chunker.chunk(d)]\n"
        f"    out[Path(name).stem] = {{'seconds': time.perf_counter() - t, 'grew_mb': {PEAK} - base, 'chunks': len(chunks)}}\n"
        "print(json.dumps(out))\n"
    )
    result = _bounded(script, str(tmp_path / "law.md"), str(tmp_path / "clause.txt"), timeout=240)
    for name, figures in result.items():  # after the fix: about 10 s and 30 MB each on two cores
        assert figures["chunks"] > 1000 and figures["seconds"] < 90 and figures["grew_mb"] < 300, (name, figures)


# --- resume after a kill ---------------------------------------------------------------------
def _pending(catalog: Path) -> int:
    try:
        with sqlite3.connect(catalog, timeout=1) as con:
            return int(con.execute("SELECT count(*) FROM pending_vectors").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


@pytest.mark.slow
def test_a_killed_ingest_resumes_without_re_embedding(tmp_path: Path, real_embedder) -> None:
    """The real encoder embeds the patent slice for seconds: SIGKILL the ingest once a
    batch of vectors is kept, then ingest again."""
    path = _patsnap_copy(tmp_path)
    path.write_text("\n".join(path.read_text().splitlines()[:150]) + "\n")  # enough for seconds of work
    index = tmp_path / "index"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "NAVSEARCH_INDEX_DIR": str(index),
        "NAVSEARCH_INGEST__COMMIT_EVERY": "16",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "navsearch.cli", "ingest", str(path), "-q"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    kept = 0
    try:
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline and not kept:
            kept = _pending(index / "catalog.sqlite")
            time.sleep(0.02)
        if kept:
            proc.send_signal(signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
    assert kept, "no vectors were kept while the file was embedded"
    kept = _pending(index / "catalog.sqlite")  # more may have landed before the kill

    ns = NavSearch(Settings(index_dir=index), embedder=real_embedder)
    assert ns.catalog.files() == {}  # the file itself was never committed
    report = ns.ingest([path], progress=False)
    total = ns.catalog.counts()["chunks"]
    assert not report.failed and report.files[0].chunks == total
    assert report.embedded == total - kept < total
    assert ns.catalog.counts()["documents"] == 150 and ns.info().vectors == total
    assert _pending(index / "catalog.sqlite") == 0
    # Kept vectors of a file committed by a run stopped before clearing them go at the next run.
    ns.catalog.con.execute("INSERT INTO pending_vectors SELECT chunk_id, vector FROM chunks LIMIT 3")
    ns.ingest([path], progress=False)
    assert _pending(index / "catalog.sqlite") == 0
