"""Whole provisions in answers: a lead-in sentence that ends in a colon ("... where one of
the following grounds applies:", "有下列情形之一的，不丧失新颖性：", "... unless—") is
quoted with its enumerated items, and an item with its lead-in; a quote inside one item
is cited down to it: ``Article 17(1)(e)``, ``§ 102(b)(1)(A)``, ``第二十四条第（一）项``,
``第四十二条第二款``. Pure functions over a passage's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from navsearch.retrieval.citation_lookup import to_cn_numeral

# An enumerated item at the start of a line or sentence: (a) (iv) (1) (A), （一）, "1. ", a dash.
ITEM = re.compile(
    r"\s*(?:\((?P<paren>[a-z]{1,4}|[A-Z]{1,4}|\d{1,3})\)|（(?P<cn>[一二三四五六七八九十]+)）|(?P<num>\d{1,2})\.(?=\s)|[—–](?=\s))"
)
LEAD_END = re.compile(r"(?:[:：]|—|--)\s*$")
CN_ARTICLE_PATH = re.compile(r"^第[一二三四五六七八九十百千零〇]+条")
ROMAN = re.compile(r"^(?:i|ii|iii|iv|v|vi|vii|viii|ix|x|xi|xii|xiii|xiv|xv)$", re.I)


@dataclass(frozen=True)
class Unit:
    lead: int  # index of the lead-in sentence
    items: tuple[int, ...]  # indexes of its item sentences, in order


def split_at_items(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentence spans cut again where a line starts an item: Chinese lead-ins end in "：",
    which no sentence splitter cuts at, so "…不丧失新颖性：\\n（一）…；" is two sentences."""
    out = []
    for s, e in spans:
        cut = s
        for m in re.finditer(r"\n", text[s:e]):
            at = s + m.end()
            if ITEM.match(text, at) and text[cut:at].strip():
                out.append((cut, at - 1))
                cut = at
        out.append((cut, e))
    return [_trim(text, s, e) for s, e in out if text[s:e].strip()]


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    """A span without the whitespace at either end."""
    piece = text[s:e]
    return s + len(piece) - len(piece.lstrip()), s + len(piece.rstrip())


def units(text: str, spans: list[tuple[int, int]]) -> dict[int, Unit]:
    """Sentence index -> the lead-in unit it belongs to (lead-ins and their items)."""
    out: dict[int, Unit] = {}
    i = 0
    while i < len(spans):
        s, e = spans[i]
        if LEAD_END.search(text[s:e]) and i + 1 < len(spans) and ITEM.match(text[spans[i + 1][0] : spans[i + 1][1]]):
            j = i + 1
            while j < len(spans) and ITEM.match(text[spans[j][0] : spans[j][1]]):
                j += 1
            unit = Unit(i, tuple(range(i + 1, j)))
            for k in range(i, j):
                out[k] = unit
            i = j
        else:
            i += 1
    return out


def _lines(text: str) -> list[tuple[int, int]]:
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, pos + len(line)))
        pos += len(line) + 1
    return out


def _marker(line: str) -> tuple[str, str] | None:
    """(class, marker) of an item line: ('num', '(1)'), ('upper', '(A)'), ('lower', '(a)'), ('cn', '一')."""
    m = ITEM.match(line)
    if not m:
        return None
    if m.group("cn"):
        return "cn", m.group("cn")
    p = m.group("paren")
    if p is None:
        return None
    if p.isdigit():
        return "num", f"({p})"
    return ("upper" if p.isupper() else "lower"), f"({p})"


def pinpoint(text: str, path: str, start: int, end: int) -> str:
    """What to add to a citation of ``path`` for a quote at ``text[start:end]`` (offsets in
    the passage): the 款 and 项 of a Chinese article, the point, subparagraph or clause of
    other provisions; "" when the quote is the whole unit or several of its items.

    >>> t = "第二十四条 有下列情形之一的：\\n（一）在国家出现紧急状态时；\\n（二）在展览会上展出的。"
    >>> pinpoint(t, "第二十四条", t.index("（二）"), len(t))
    '第（二）项'
    >>> g = "where one of the following grounds applies:\\n(a) the data are no longer necessary;\\n(e) to comply;"
    >>> pinpoint(g, "Article 17(1)", g.index("(e)"), len(g))
    '(e)'
    """
    lines = _lines(text)
    inside = [i for i, (s, e) in enumerate(lines) if s < end and e > start]
    if not inside:
        return ""
    if CN_ARTICLE_PATH.match(path):
        return _cn_pinpoint(text, lines, inside)
    if len(inside) != 1 or inside[0] == 0:
        return ""
    stack: list[tuple[str, str]] = []
    for s, e in lines[1 : inside[0] + 1]:
        found = _marker(text[s:e])
        if found is None:
            continue
        cls, marker = found
        if cls == "lower" and ROMAN.match(marker.strip("()")) and stack and stack[-1][0] in ("upper", "roman"):
            cls = "roman"  # (i) under (A) is a clause, not point (i)
        elif cls == "upper" and ROMAN.match(marker.strip("()")) and stack and stack[-1][0] in ("roman", "uproman"):
            cls = "uproman"  # (I) under (i) is a subclause
        while stack and stack[-1][0] != cls and any(c == cls for c, _ in stack):
            stack.pop()
        if stack and stack[-1][0] == cls:
            stack.pop()
        stack.append((cls, marker))
    line = text[lines[inside[0]][0] : lines[inside[0]][1]]
    if _marker(line) is None:
        return ""
    # A passage may open with its own label ("(b) Exceptions.— (1) ..." is § 102(b)(1)).
    own = re.findall(r"\([^)]+\)", path)[-2:]
    while stack and stack[0][1] in own:
        stack.pop(0)
    return "".join(m for _, m in stack)


def _cn_pinpoint(text: str, lines: list[tuple[int, int]], inside: list[int]) -> str:
    """款 (paragraphs: lines that are not items) and 项 (items) of a Chinese article."""
    kuan = 0
    kuan_of: list[int] = []
    for s, e in lines:
        line = text[s:e]
        if line.strip() and _marker(line) is None:
            kuan += 1
        kuan_of.append(max(kuan, 1))
    total = kuan
    ks = {kuan_of[i] for i in inside}
    out = f"第{to_cn_numeral(kuan_of[inside[0]])}款" if total > 1 and len(ks) == 1 else ""
    if len(inside) == 1:
        found = _marker(text[lines[inside[0]][0] : lines[inside[0]][1]])
        if found and found[0] == "cn":
            out += f"第（{found[1]}）项"
    return out
