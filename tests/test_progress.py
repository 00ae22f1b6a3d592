"""Progress output: a bar only on a terminal; quiet, line-based progress in logs."""

from __future__ import annotations

import logging

import pytest

from navsearch import progress as progress_mod
from navsearch.progress import Progress, track


def test_no_bar_when_stderr_is_not_a_terminal(monkeypatch: pytest.MonkeyPatch, capsys, caplog) -> None:
    monkeypatch.setattr(progress_mod, "is_terminal", lambda: False)
    now = [0.0]
    monkeypatch.setattr(progress_mod.time, "monotonic", lambda: now[0])
    with caplog.at_level(logging.INFO, logger="navsearch.progress"):
        with Progress(total=4, desc="embed corpus/a.txt", unit="chunk") as p:
            for t in (1.0, 11.0, 12.0, 25.0):  # a line at most every 10 s, and one at the end
                now[0] = t
                p.update()
    err = capsys.readouterr().err
    assert "\r" not in err  # no bar redraws
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "embed corpus/a.txt progress: 2/4 chunk (50%) in 11 s (6 s/chunk)",
        "embed corpus/a.txt done: 4/4 chunk (100%) in 25 s (6 s/chunk)",
    ]


def test_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch, capsys, caplog) -> None:
    monkeypatch.setattr(progress_mod, "is_terminal", lambda: True)
    with caplog.at_level(logging.INFO, logger="navsearch.progress"):
        assert list(track(range(3), desc="files", unit="file")) == [0, 1, 2]
    assert "files" in capsys.readouterr().err and not caplog.records


def test_disabled_says_nothing(monkeypatch: pytest.MonkeyPatch, capsys, caplog) -> None:
    monkeypatch.setattr(progress_mod, "is_terminal", lambda: True)
    with caplog.at_level(logging.INFO, logger="navsearch.progress"):
        assert list(track([1, 2], desc="files", enabled=False)) == [1, 2]
    assert capsys.readouterr().err == "" and not caplog.records


def test_background_work_logs_lines_even_on_a_terminal(monkeypatch: pytest.MonkeyPatch, capsys, caplog) -> None:
    """A server's background build (bar=False): a bar would tear through its request log."""
    monkeypatch.setattr(progress_mod, "is_terminal", lambda: True)
    now = [0.0]
    monkeypatch.setattr(progress_mod.time, "monotonic", lambda: now[0])
    with caplog.at_level(logging.INFO, logger="navsearch.progress"):
        with Progress(total=2, desc="cross-language", unit="text", bar=False) as p:
            for t in (11.0, 20.0):
                now[0] = t
                p.update()
    assert "\r" not in capsys.readouterr().err
    assert [r.getMessage() for r in caplog.records] == [
        "cross-language progress: 1/2 text (50%) in 11 s (11 s/text)",
        "cross-language done: 2/2 text (100%) in 20 s (10 s/text)",
    ]
