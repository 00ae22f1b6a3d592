"""Nothing acknowledged is lost and nothing partial is visible when the server is killed
with SIGKILL at random moments during HTTP uploads (20 rounds; the 200-round run is
`benchmarks/crash_loop.py`, its result in the README)."""

from __future__ import annotations

from benchmarks.crash_loop import run


def test_uploads_survive_sigkill_at_random_moments() -> None:
    result = run(rounds=20, seed=7, min_acknowledged=10)
    assert result.rounds >= 20 and not result.restart_failures, result.restart_failures
    assert result.acknowledged >= 10, f"only {result.acknowledged} uploads were acknowledged: the loop proved little"
    assert result.uploads_sent > result.acknowledged  # some were cut off by a kill
    assert result.lost == [] and result.partial == [] and result.unsearchable == []
    assert result.count_mismatches == []
