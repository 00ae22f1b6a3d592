"""The numbers Word prints before numbered paragraphs ("IV.", "ii.", "(3)", "一、", "（二）").

Word keeps them in the numbering part: each list (numId) points at an abstract numbering
whose levels give a format (decimal, roman, Chinese counting) and a pattern ("%1.",
"(%2)"). ListCounter counts the paragraphs of each list and level, resets the deeper
levels when a level moves on, and renders the label as Word would.
"""

from __future__ import annotations

from typing import Any

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CN_DIGITS = "零一二三四五六七八九"


def _roman(n: int) -> str:
    out = ""
    for value, numeral in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                           (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out, n = out + numeral, n - value
    return out


def _chinese(n: int) -> str:
    """1..99 in Chinese counting: 一, 十, 十一, 二十三."""
    if n < 10:
        return _CN_DIGITS[n]
    tens, units = divmod(n, 10)
    return f"{'' if tens == 1 else _CN_DIGITS[tens]}十{_CN_DIGITS[units] if units else ''}"


def render(fmt: str, n: int) -> str:
    """One counter in Word's number format ``fmt``."""
    if fmt == "upperRoman":
        return _roman(n)
    if fmt == "lowerRoman":
        return _roman(n).lower()
    if fmt == "upperLetter":
        return chr(ord("A") + (n - 1) % 26)
    if fmt == "lowerLetter":
        return chr(ord("a") + (n - 1) % 26)
    if fmt in ("chineseCounting", "chineseCountingThousand", "ideographTraditional", "taiwaneseCounting"):
        return _chinese(n)
    if fmt in ("bullet", "none"):
        return ""
    return str(n)  # decimal and its variants


class ListCounter:
    """Counts numbered paragraphs per list and level and renders their labels."""

    def __init__(self, document: Any) -> None:
        self._levels: dict[str, dict[int, tuple[str, str, int]]] = {}  # numId -> ilvl -> (fmt, text, start)
        self._counts: dict[str, dict[int, int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):  # a document without lists
            return
        abstract: dict[str, dict[int, tuple[str, str, int]]] = {}
        for node in root.findall(f"{_W}abstractNum"):
            levels: dict[int, tuple[str, str, int]] = {}
            for lvl in node.findall(f"{_W}lvl"):
                fmt = lvl.find(f"{_W}numFmt")
                text = lvl.find(f"{_W}lvlText")
                start = lvl.find(f"{_W}start")
                levels[int(lvl.get(f"{_W}ilvl") or 0)] = (
                    fmt.get(f"{_W}val") if fmt is not None else "decimal",
                    text.get(f"{_W}val") if text is not None else "",
                    int(start.get(f"{_W}val")) if start is not None else 1,
                )
            abstract[node.get(f"{_W}abstractNumId") or ""] = levels
        for num in root.findall(f"{_W}num"):
            ref = num.find(f"{_W}abstractNumId")
            if ref is not None:
                self._levels[num.get(f"{_W}numId") or ""] = abstract.get(ref.get(f"{_W}val") or "", {})

    def label(self, num_id: str, level: int) -> str:
        """The label of the next paragraph of list ``num_id`` at ``level`` ("" for bullets)."""
        levels = self._levels.get(num_id, {})
        if level not in levels:
            return ""
        counts = self._counts.setdefault(num_id, {})
        counts[level] = counts.get(level, levels[level][2] - 1) + 1
        for deeper in [k for k in counts if k > level]:
            del counts[deeper]
        fmt, text, _ = levels[level]
        if fmt in ("bullet", "none"):
            return ""
        for k in range(level, -1, -1):
            shown = render(levels.get(k, ("decimal", "", 1))[0], counts.get(k, levels.get(k, ("", "", 1))[2]))
            text = text.replace(f"%{k + 1}", shown)
        return text.strip()
