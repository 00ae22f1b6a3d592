"""Whole provisions in answers: a lead-in sentence that ends in a colon ("... where one of
the following grounds applies:", "有下列情形之一的，不丧失新颖性：", "... unless—") is
quoted with its enumerated items, and an item with its lead-in; a quote inside one item
is cited down to it: ``Article 17(1)(e)``, ``§ 102(b)(1)(A)``, ``第二十四条第（一）项``,
``第四十二条第二款``. Pure functions over a passage's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from navsearch.numerals import to_cn_numeral

# An enumerated item at the start of a line or sentence: (a) (iv) (1) (A), （一）, "1. ", a dash.
ITEM = re.compile(
    r"\s*(?:\((?P<paren>[a-z]{1,4}|[A-Z]{1,4}|\d{1,3})\)|（(?P<cn>[一二三四五六七八九十]+)）|(?P<num>\d{1,2})\.(?=\s)|[—–](?=\s))"
)
LEAD_END = re.compile(r"(?:[:：]|—|--)\s*$")
CN_ARTICLE_PATH = re.compile(r"^第[一二三四五六七八九十百千零〇]+条")
ROMAN = re.compile(r"^(?:i|ii|iii|iv|v|vi|vii|viii|ix|x|xi|xii|xiii|xiv|xv)$", re.I)


@dataclass(frozen=True)
class Unit:
    lead: int  # index of the sentence holding the lead-in
    last: int  # index of its last item's sentence (the lead's own when its items are its lines)


def _starts_item(text: str, span: tuple[int, int]) -> bool:
    return ITEM.match(text, span[0]) is not None


def _holds_lead(text: str, span: tuple[int, int]) -> bool:
    r"""The sentence ends a lead-in: it ends in a colon or dash, or has one just before an
    item line ("…不丧失新颖性：\n（一）…", which no sentence splitter cuts)."""
    piece = text[span[0] : span[1]]
    if LEAD_END.search(piece):
        return True
    return any(LEAD_END.search(piece[: m.start()]) and ITEM.match(piece, m.end()) for m in re.finditer(r"\n", piece))


def provision_unit(text: str, spans: list[tuple[int, int]], i: int) -> Unit | None:
    r"""The lead-in and items sentence ``i`` belongs to, if any: an item (or a run of
    items) under a lead-in, or the lead-in itself. Sentences are not cut again: answers
    score the sentences they always did, and only quote more of the provision.

    >>> t = "Where one of the following applies:\n(a) it is late;\n(b) it is wrong."
    >>> provision_unit(t, [(0, 35), (36, 51), (52, len(t))], 2)
    Unit(lead=0, last=2)
    """
    lead = i
    while lead >= 0 and _starts_item(text, spans[lead]) and not _holds_lead(text, spans[lead]):
        lead -= 1
    if lead < 0 or not _holds_lead(text, spans[lead]):
        return None
    last = lead
    while last + 1 < len(spans) and _starts_item(text, spans[last + 1]):
        last += 1
    if last == lead and "\n" not in text[spans[lead][0] : spans[lead][1]]:
        return None  # a lead-in whose items are not in this passage
    return Unit(lead, last)


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
