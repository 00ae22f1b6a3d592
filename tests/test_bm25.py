"""BM25 (retrieval/bm25.py): the analyser, scores against SQLite FTS5's bm25() on the
same texts, filters, and the generation file."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from navsearch.errors import IndexMismatch
from navsearch.store.lexical import Bm25Index
from navsearch.terms import analyze, query_terms

TEXTS = [
    "A battery pack detaches from the notebook computer at the hinge.",
    "The hinge of the display carries the antenna; batteries are charged in the base.",
    "Requirements for an Authorised Person: the Authorised Person must keep records.",
    "第二十二条 授予专利权的发明和实用新型，应当具备新颖性、创造性和实用性。",
    "Règlement on data: the controller shall keep records of processing.",
    "An unrelated sentence about gardening tools and soil.",
]


def test_analyzer_stems_folds_and_splits_cjk() -> None:
    assert analyze("Batteries DETACHED") == ["batteri", "detach"]
    assert analyze("Règlement") == analyze("reglement")
    assert analyze("第二十二条 授予") == ["第二", "二十", "十二", "二条", "授予"]
    assert analyze("claim 3 of 专利") == ["claim", "3", "of", "专利"]
    assert query_terms("the of and") == []
    assert query_terms('x" OR y*') == ["x", "y"]  # query syntax is only text
    assert query_terms("新颖性 novelty novelties") == ["新颖", "颖性", "novelti"]
    # Digits and Latin letters next to Chinese are words of their own, not one token with it.
    assert analyze("PCT国际申请") == ["pct", "国际", "际申", "申请"]
    assert analyze("起30个月内办理") == ["起", "30", "个月", "月内", "内办", "办理"]


def test_scores_match_sqlite_fts5_bm25() -> None:
    """FTS5 with the porter tokenizer is the reference implementation of the same formula."""
    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize = 'porter unicode61 remove_diacritics 2')")
    # FTS5 sees CJK bigrams as words, as navsearch's analyser produces them.
    con.executemany("INSERT INTO t(rowid, body) VALUES (?, ?)", [(i + 1, " ".join(analyze(t))) for i, t in enumerate(TEXTS)])
    index = Bm25Index.build((i + 1, t) for i, t in enumerate(TEXTS))
    for query in ("battery hinge", "authorised person records", "专利 新颖性", "records of processing hinge"):
        terms = query_terms(query)
        match = " OR ".join(f'"{t}"' for t in terms)
        expected = {r[0]: -r[1] for r in con.execute("SELECT rowid, bm25(t) FROM t WHERE t MATCH ?", (match,))}
        got = dict(index.search(terms, 10))
        assert got.keys() == expected.keys(), query
        for rowid, score in expected.items():
            assert got[rowid] == pytest.approx(score, rel=1e-5), (query, rowid)


def test_search_ranks_filters_and_limits() -> None:
    index = Bm25Index.build((10 * (i + 1), t) for i, t in enumerate(TEXTS))
    hits = index.search(query_terms("battery pack hinge"), 10)
    assert [h[0] for h in hits] == [10, 20]
    assert hits[0][1] > hits[1][1]
    assert index.search(query_terms("battery pack hinge"), 1) == hits[:1]
    assert [h[0] for h in index.search(query_terms("battery hinge"), 10, allowed=np.array([20, 999]))] == [20]
    assert index.search(query_terms("battery"), 10, allowed=np.array([], dtype=np.int64)) == []
    assert index.search(["nosuchterm"], 10) == []
    assert index.search([], 10) == []


def test_rowids_must_ascend() -> None:
    with pytest.raises(ValueError, match="must ascend"):
        Bm25Index.build([(2, "a"), (1, "b")])


def test_round_trip_and_format_check() -> None:
    index = Bm25Index.build((i + 1, t) for i, t in enumerate(TEXTS))
    back = Bm25Index.from_bytes(index.to_bytes())
    assert back.search(query_terms("records"), 5) == index.search(query_terms("records"), 5)
    empty = Bm25Index.build([])
    assert Bm25Index.from_bytes(empty.to_bytes()).search(["x"], 5) == []
    with pytest.raises(Exception):
        Bm25Index.from_bytes(b"not an npz")
    import io
    buf = io.BytesIO()
    np.savez(buf, format=np.array("other/9"))
    with pytest.raises(IndexMismatch, match="other/9"):
        Bm25Index.from_bytes(buf.getvalue())


def test_top_k_selection_is_exact() -> None:
    """lexical._top partitions only the scores at or above a sample's k-th best: it must
    return exactly the k best positive scores (ties at the k-th: any of them), also when
    fewer than k are positive, when most are zero, and when many tie."""
    import numpy as np

    from navsearch.store.lexical import _top

    rng = np.random.default_rng(3)
    cases = [
        rng.random(200_000).astype(np.float32),
        np.where(rng.random(200_000) < 0.9, 0, rng.random(200_000)).astype(np.float32),  # mostly zero
        np.round(rng.random(100_000) * 5).astype(np.float32),  # heavy ties
        np.zeros(50_000, dtype=np.float32),
        np.concatenate([np.zeros(100_000), [3.0, 1.0, 2.0]]).astype(np.float32),  # fewer positive than k
        (rng.random(100_000) ** 8).astype(np.float32),  # a long tail, few high ones
    ]
    for scores in cases:
        for k in (1, 10, 100, 1000):
            got = _top(scores, k)
            positive = np.sort(scores[scores > 0])[::-1]
            want = positive[:k]
            assert len(got) == len(want), (len(got), len(want), k)
            assert np.array_equal(np.sort(scores[got])[::-1], want), k
            assert len(set(got.tolist())) == len(got)


def test_allowed_rowids_in_any_order_restrict_alike() -> None:
    """A search restricted to rowids ranks the same whether they come sorted and distinct
    (as the stores give them) or shuffled with repeats, and never returns a chunk twice."""
    import numpy as np

    rows = [(i * 3 + 1, f"valve pump seal {'valve ' * (i % 4)}housing {i}") for i in range(300)]
    index = Bm25Index.build(rows)
    allowed = np.array([r for r, _ in rows[::2]], dtype=np.int64)
    messy = np.concatenate([allowed[::-1], allowed[:50], [999_999]])  # reversed, repeats, a rowid not held
    sorted_hits = index.search(["valv", "pump"], 20, allowed)
    messy_hits = index.search(["valv", "pump"], 20, messy)
    assert sorted_hits == messy_hits and len(sorted_hits) == 20
    assert {r for r, _ in sorted_hits} <= set(allowed.tolist())
    assert len({r for r, _ in messy_hits}) == len(messy_hits)
