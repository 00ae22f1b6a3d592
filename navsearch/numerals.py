"""Chinese numerals as Chinese laws and circulars print them: 第二十四条, 一百零一, 十二.

One owner for the parser and the printer: the Chinese-law parser numbers articles with
them, citation lookup reads "第24条" and "Article 24", and the dictionary's gloss of a
Chinese passage (lexicon.py) writes 第二十四条 as "Article 24".
"""

from __future__ import annotations

CN_DIGITS = "零一二三四五六七八九"
CN_NUMERAL = "〇零一二三四五六七八九十百千两"  # the characters a numeral is written with
_VALUES = {c: i for i, c in enumerate(CN_DIGITS)} | {"〇": 0, "两": 2}
_UNITS = {"十": 10, "百": 100, "千": 1000}


def cn_numeral(text: str) -> int:
    """Value of a Chinese numeral as used in article numbers; arabic digits pass through.

    >>> [cn_numeral(t) for t in ("二十二", "一百零一", "十二", "两", "24")]
    [22, 101, 12, 2, 24]
    """
    if text.isdigit():
        return int(text)
    total, digit = 0, 0
    for ch in text:
        if ch in _VALUES:
            digit = _VALUES[ch]
        elif ch in _UNITS:
            total += (digit or 1) * _UNITS[ch]  # "十二" means 12: a bare 十 counts as 一十
            digit = 0
        else:
            raise ValueError(f"not a Chinese numeral: {text!r}")
    return total + digit


def to_cn_numeral(n: int) -> str:
    """24 -> 二十四, 10 -> 十, 101 -> 一百零一, 110 -> 一百一十 (as article numbers print).

    >>> [to_cn_numeral(n) for n in (6, 10, 24, 101, 110, 1000)]
    ['六', '十', '二十四', '一百零一', '一百一十', '一千']
    """
    if n <= 0 or n >= 10000:
        raise ValueError(f"article numbers run from 1 to 9999, got {n}")
    out = ""
    zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // value % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        if not (value == 10 and digit == 1 and not out):  # 十二, not 一十二
            out += CN_DIGITS[digit]
        out += unit
    return out
