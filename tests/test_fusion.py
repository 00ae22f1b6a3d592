from __future__ import annotations

import pytest

from navsearch.retrieval.fusion import rrf


def test_rrf_orders_by_summed_reciprocal_ranks() -> None:
    fused = rrf({"dense": [1, 2, 3], "lexical": [3, 1, 4]}, k=60)
    assert [f.key for f in fused] == [1, 3, 2, 4]
    assert fused[0].ranks == {"dense": 1, "lexical": 2}
    assert fused[0].score == pytest.approx(1 / 61 + 1 / 62)


def test_rrf_weights_and_duplicates() -> None:
    fused = rrf({"dense": [1, 2], "lexical": [2, 2, 1]}, k=1, weights={"dense": 0.0, "lexical": 1.0})
    assert [f.key for f in fused] == [2, 1]
    assert fused[0].score == pytest.approx(1 / 2)  # the repeated key counts once


def test_rrf_rejects_bad_k() -> None:
    with pytest.raises(ValueError, match="k must be greater than 0. Currently, k is 0"):
        rrf({"dense": [1]}, k=0)
