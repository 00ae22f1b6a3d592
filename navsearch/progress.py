"""Progress of long work: a bar on a terminal, quiet log lines anywhere else.

A tqdm bar redraws itself with carriage returns; written into a log file or a pipe that
is hundreds of kilobytes of noise (one `navsearch eval` wrote 475 KB). So a bar is drawn
only when stderr is a terminal; otherwise progress is logged as a plain line at most
every ``LINE_INTERVAL_S`` seconds, and once at the end.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

log = logging.getLogger("navsearch.progress")
LINE_INTERVAL_S = 10.0
T = TypeVar("T")


def is_terminal() -> bool:
    return sys.stderr.isatty()


class Progress:
    """Counts work done towards a total; draws a bar or logs lines (see the module doc).

    >>> with Progress(total=3, desc="files", unit="file", enabled=False) as p:
    ...     p.update(3)
    """

    def __init__(
        self,
        *,
        total: int | None,
        desc: str,
        unit: str = "it",
        enabled: bool = True,
        interval_s: float = LINE_INTERVAL_S,
        bar: bool = True,
    ) -> None:
        self.total = total
        self.desc = desc
        self.unit = unit
        self.enabled = enabled
        self.done = 0
        self._interval = interval_s
        self._started = time.monotonic()
        self._last_line = self._started
        self._bar = None
        # bar=False: lines even on a terminal (a server's background work: a bar redrawn
        # there would tear through its request log).
        if enabled and bar and is_terminal():
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit)

    def update(self, n: int = 1) -> None:
        self.done += n
        if self._bar is not None:
            self._bar.update(n)
        elif self.enabled and self.done != self.total and time.monotonic() - self._last_line >= self._interval:
            self._line()  # the last step is said by close()

    def _line(self, final: bool = False) -> None:
        self._last_line = time.monotonic()
        elapsed = self._last_line - self._started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        of = f"/{self.total}" if self.total is not None else ""
        share = f" ({100 * self.done / self.total:.0f}%)" if self.total else ""
        state = "done" if final else "progress"
        # Slow units (a batch of a minute) read as seconds each, not as "0.0 batch/s".
        speed = f"{rate:.1f} {self.unit}/s" if rate >= 1 or not self.done else f"{elapsed / self.done:.0f} s/{self.unit}"
        log.info("%s %s: %d%s %s%s in %.0f s (%s)", self.desc, state, self.done, of, self.unit, share, elapsed, speed)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.enabled and self.done and time.monotonic() - self._started >= self._interval:
            self._line(final=True)  # short work needs no closing line

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def track(items: Iterable[T], *, desc: str, unit: str = "it", total: int | None = None, enabled: bool = True) -> Iterator[T]:
    """Iterate ``items``, showing progress as ``Progress`` does."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with Progress(total=total, desc=desc, unit=unit, enabled=enabled) as p:
        for item in items:
            yield item
            p.update()
