"""Lookup by number: the references a query names (patent numbers, statute sections, GDPR
articles and recitals, Chinese articles, SIPO document numbers, ADGM rule numbers),
parsed by pure functions, then resolved against the documents of one index generation.

A reference resolves to a document and, for a provision, the chunks whose structural path
is the cited unit or lies under it ("Article 17" covers "Article 17(1)"). The searcher puts
the cited units before the fused ranking; what is semantically near follows.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from navsearch.numerals import CN_NUMERAL, cn_numeral, to_cn_numeral
from navsearch.types import Chunk, DocumentMeta

RefKind = Literal["patent", "usc", "gdpr-article", "gdpr-recital", "cn-article", "document-number", "rule"]


@dataclass(frozen=True)
class Reference:
    """One reference found in a query: what kind, the unit it names, and the text typed."""

    kind: RefKind
    key: str  # patent: "US6078496" (country + digits); others: the path as the corpus prints it
    typed: str  # the words of the query it was read from
    span: tuple[int, int]  # where in the query
    kind_code: str | None = None  # a patent's kind code when typed ("B1")
    law: str | None = None  # which law: "usc35", "gdpr", "cn-patent-law", "cn-patent-law-rules", or a number
    point: str | None = None  # a sub-unit printed inside the chunk: GDPR point "(a)", Chinese 款/项


# --- parsing (pure) ----------------------------------------------------------------------
_COUNTRIES = "US|EP|WO|CN|GB|DE|JP|KR|CA|AU|FR|TW|IN|RU|ES|IT|NL|SE|CH|AT|DK|BR|MX"
PATENT = re.compile(
    rf"(?:\b(?P<cc>{_COUNTRIES})\s?-?\s?|\bU\.\s?S\.\s?(?:Pat(?:ent)?\.?\s*)?No\.?\s*|\bPatent\s+No\.?\s*)"
    r"(?P<num>(?:19|20)\d{2}\s?/\s?\d{4,7}|\d{1,3}(?:[ ,.]\d{3}){1,4}(?!\d)|\d{5,14})"
    r"(?:\s?(?P<kind>[ABCEUSPYTW]\d?)\b)?(?![\d/])"
)
_SECTION_NO = r"(?P<sec>\d{1,4}[a-z]?)(?P<sub>(?:\([a-zA-Z0-9]{1,4}\))*)"
USC = re.compile(
    r"\b(?P<title>\d{1,2})\s*U\.?\s?S\.?\s?C\.?(?:\s*A\.?)?\s*(?:§+\s*|[Ss]ec(?:tion|\.)?\s*)?" + _SECTION_NO
)
SECTION_SIGN = re.compile(r"§+\s*" + _SECTION_NO)
SECTION_WORD = re.compile(r"\b[Ss]ec(?:tion|\.)\s*" + _SECTION_NO)
USC_HINT = re.compile(r"U\.?\s?S\.?\s?C\b|Patent\s+Act|United\s+States\s+Code|\bUS\b|U\.S\.", re.I)
GDPR_HINT = re.compile(r"\bGDPR\b|2016/679|General Data Protection Regulation", re.I)
ARTICLE = re.compile(r"\bArt(?:icle|s?\.)\s*(?P<n>\d{1,3})(?P<sub>(?:\s?\(\s?[0-9a-z]{1,3}\s?\))*)", re.I)
RECITAL = re.compile(r"\bRecital\s*(?P<n>\d{1,3})\b", re.I)
CN_LAW_HINT = re.compile(
    r"(?:Chinese|China'?s|PRC|People'?s Republic of China)\s+Patent\s+Law|Patent\s+Law\s+of\s+(?:the\s+)?(?:PRC|China|People'?s Republic of China)",
    re.I,
)
CN_RULES_HINT = re.compile(r"Implementing\s+(?:Rules|Regulations)", re.I)
CN_ARTICLE = re.compile(
    r"(?P<law>专利法实施细则|实施细则|细则|专利法)?\s*第\s*(?P<n>[" + CN_NUMERAL + r"]+|\d{1,4})\s*条"
    r"(?:之(?P<sub>[" + CN_NUMERAL + r"]+))?"
    r"(?:\s*第\s*(?P<kuan>[" + CN_NUMERAL + r"]+|\d{1,2})\s*款)?"
    r"(?:\s*第?\s*[（(]\s*(?P<xiang>[" + CN_NUMERAL + r"]+|\d{1,2})\s*[)）]\s*项|\s*第\s*(?P<xiang2>[" + CN_NUMERAL + r"]+|\d{1,2})\s*项)?"
)
DOC_NUMBER = re.compile(r"[\[〔【(（]\s*(?P<year>(?:19|20)\d{2})\s*[\]〕】)）]\s*(?:No\.?\s*|第\s*)?(?P<no>\d{1,4})\s*号?")
RULE = re.compile(
    r"\b(?:(?P<word>Rules?|Para(?:graph)?s?\.?|Sections?)\s+)?(?P<n>\d{1,3}(?:\.\d{1,3}[A-Z]?){1,4})\.?(?P<sub>(?:\([a-zA-Z0-9]{1,4}\))*)",
)


def _clean_digits(num: str) -> str:
    return re.sub(r"[\s,./]", "", num)


def patent_base(number: str) -> str:
    """A patent number without kind code, spaces, commas or leading zeros of its serial:
    'US 6,078,496 B1' -> 'US6078496', 'EP0698680A1' -> 'EP698680'.

    >>> patent_base("EP0698680A1"), patent_base("US6078496"), patent_base("WO2004/012345")
    ('EP698680', 'US6078496', 'WO2004012345')
    """
    m = re.match(r"^\s*([A-Za-z]{2})\s*-?\s*([\d\s,./]+?)\s*(?:[A-Za-z]\d?)?\s*$", number)
    if not m:
        return number.replace(" ", "").upper()
    return m.group(1).upper() + (_clean_digits(m.group(2)).lstrip("0") or "0")


def _subdivisions(sub: str) -> str:
    return re.sub(r"\s", "", sub or "")


def parse_references(query: str) -> list[Reference]:
    """Every reference a query names, in the order typed (overlaps: the first, longest).

    >>> [(r.kind, r.key) for r in parse_references("US 6,078,496 B1 and 35 U.S.C. 102(a)(1)")]
    [('patent', 'US6078496'), ('usc', '§ 102(a)(1)')]
    >>> [(r.kind, r.key, r.law) for r in parse_references("专利法第24条")]
    [('cn-article', '第二十四条', 'cn-patent-law')]
    """
    found: list[Reference] = []

    def add(ref: Reference) -> None:
        s, e = ref.span
        if any(s < e2 and s2 < e for s2, e2 in (r.span for r in found)):
            return
        found.append(ref)

    gdpr = bool(GDPR_HINT.search(query))
    cn_law = bool(CN_LAW_HINT.search(query))
    cn_rules = cn_law and bool(CN_RULES_HINT.search(query))
    for m in CN_ARTICLE.finditer(query):
        n = cn_numeral(m.group("n"))
        if not 0 < n < 10000:
            continue
        path = f"第{to_cn_numeral(n)}条" + (f"之{m.group('sub')}" if m.group("sub") else "")
        law = {"专利法实施细则": "cn-patent-law-rules", "实施细则": "cn-patent-law-rules", "细则": "cn-patent-law-rules",
               "专利法": "cn-patent-law"}.get(m.group("law") or "")
        point = None
        if m.group("kuan"):
            point = f"第{to_cn_numeral(cn_numeral(m.group('kuan')))}款"
        xiang = m.group("xiang") or m.group("xiang2")
        if xiang:
            point = (point or "") + f"第（{to_cn_numeral(cn_numeral(xiang))}）项"
        add(Reference("cn-article", path, m.group(0).strip(), m.span(), law=law, point=point))
    for m in PATENT.finditer(query):
        digits = _clean_digits(m.group("num"))
        if len(digits) < 5:
            continue
        cc = (m.group("cc") or "US").upper()
        kind = m.group("kind")
        add(Reference("patent", cc + (digits.lstrip("0") or "0"), m.group(0).strip(), m.span(), kind_code=kind))
    usc_context = bool(USC_HINT.search(query))
    sections = [*USC.finditer(query), *SECTION_SIGN.finditer(query), *(SECTION_WORD.finditer(query) if usc_context else ())]
    for m in sections:
        title = m.groupdict().get("title")
        law = ("usc35" if title == "35" else f"{title} U.S.C.") if title else None
        path = f"§ {m.group('sec')}{_subdivisions(m.group('sub'))}"
        add(Reference("usc", path, m.group(0).strip(), m.span(), law=law))
    for m in RECITAL.finditer(query):
        add(Reference("gdpr-recital", f"Recital {int(m.group('n'))}", m.group(0), m.span(), law="gdpr" if gdpr else None))
    for m in ARTICLE.finditer(query):
        subs = re.findall(r"\(\s?([0-9a-z]{1,3})\s?\)", m.group("sub") or "")
        n = int(m.group("n"))
        if cn_law:  # "Article 24 of the Chinese Patent Law": the Chinese article, as printed
            law = "cn-patent-law-rules" if cn_rules else "cn-patent-law"
            add(Reference("cn-article", f"第{to_cn_numeral(n)}条", m.group(0).strip(), m.span(), law=law))
            continue
        para = next((s for s in subs if s.isdigit()), None)
        point = next((s for s in subs if s.isalpha()), None)
        path = f"Article {n}" + (f"({para})" if para else "")
        add(Reference("gdpr-article", path, m.group(0).strip(), m.span(), law="gdpr" if gdpr else None,
                      point=f"({point})" if point else None))
    for m in DOC_NUMBER.finditer(query):
        add(Reference("document-number", f"[{m.group('year')}] No. {int(m.group('no'))}", m.group(0).strip(), m.span()))
    for m in RULE.finditer(query):
        # A bare "1.5" is a value, not a rule: a rule needs its word or three levels (9.7.5).
        if not m.group("word") and m.group("n").count(".") < 2:
            continue
        key = rule_key(m.group("n") + _subdivisions(m.group("sub")))
        add(Reference("rule", key, m.group(0).strip(), m.span()))
    return sorted(found, key=lambda r: r.span)


def rule_key(path: str) -> str:
    """A rule number as compared: no dot before a bracket, none at the end, no '#2' suffix.

    >>> rule_key("4.1.1.(4)(b)"), rule_key("4.1.1(4)(b)"), rule_key("1.2.")
    ('4.1.1(4)(b)', '4.1.1(4)(b)', '1.2')
    """
    path = path.split("#", 1)[0].strip()
    return re.sub(r"\.(?=\()", "", path).rstrip(".")


def residual_text(query: str, refs: Iterable[Reference]) -> str:
    """The query with the references' words taken out (what is left to search by meaning)."""
    out = query
    for r in sorted(refs, key=lambda r: -r.span[0]):
        out = out[: r.span[0]] + " " + out[r.span[1] :]
    out = re.sub(r"\b(?:of|the|under|in|see|and|per)\b", " ", out, flags=re.I)
    out = re.sub(r"\b(?:GDPR|U\.?S\.?C\.?|Regulation \(EU\) 2016/679|Chinese Patent Law|Patent Law)\b", " ", out, flags=re.I)
    return " ".join(re.sub(r"[^\w\s]", " ", out).split())


# --- resolving against the corpus ---------------------------------------------------------
def law_matches(meta: DocumentMeta, law: str | None, kind: RefKind) -> bool:
    """The document is the law a reference names (or, when it names none, one of its kind)."""
    title = meta.title or ""
    number = meta.number or ""
    if kind == "cn-article":
        if meta.jurisdiction != "CN" or meta.doc_type != "statute":
            return False
        rules = "实施细则" in title
        if law == "cn-patent-law":
            return "专利法" in title and not rules
        if law == "cn-patent-law-rules":
            return "专利法" in title and rules
        return True
    if kind == "usc":
        if law == "usc35":
            return number.startswith("35 U.S.C")
        if law:
            return number.startswith(law)
        return meta.doc_type == "statute"
    if kind in ("gdpr-article", "gdpr-recital"):
        if law == "gdpr":
            return "2016/679" in number or "General Data Protection" in title
        return meta.doc_type == "statute"
    return True


def number_key(number: str | None) -> str | None:
    """A circular's number compared by year and serial: 'G. ZH. F. G. Z. [2013] No. 27' ->
    '[2013] No. 27'."""
    if not number:
        return None
    m = DOC_NUMBER.search(number)
    return f"[{m.group('year')}] No. {int(m.group('no'))}" if m else None


_TOP = re.compile(r"^(§ \d+[a-zA-Z]?|Article \d+|Recital \d+|第[^条]+条(?:之[" + CN_NUMERAL + r"]+)?|\d+)")


def path_top(path: str) -> str:
    """The first level of a path, which the provisions are indexed by: '§ 102(a)(1)' ->
    '§ 102', 'Article 17(1)' -> 'Article 17', '4.1.1(4)(b)' -> '4'."""
    m = _TOP.match(path)
    return m.group(1) if m else path


def unit_contains(path: str, unit: str, kind: RefKind) -> bool:
    """The path is the cited unit or lies under it (a rule's levels run on with dots)."""
    if path == unit:
        return True
    return path.startswith(unit) and path[len(unit)] in ("(. " if kind == "rule" else "( ")


@dataclass(frozen=True)
class CitedUnit:
    """Where a reference points: a document, and the chunks of the cited provision (none:
    the document as a whole, e.g. a patent named by its number)."""

    ref: Reference
    doc_id: str
    rowids: tuple[int, ...] = ()
    via: str | None = None  # how it was found when not directly ("family member of ...")


class CitationResolver:
    """Resolves references against the documents of one generation (loaded on first use,
    then kept: a generation never changes)."""

    def __init__(self, catalog: object) -> None:
        # A CatalogView (navsearch.store.catalog): document_keys() and provision_paths().
        self.catalog = catalog
        self._docs: dict[str, DocumentMeta] | None = None
        self._patents: dict[str, list[str]] = {}
        self._families: dict[str, list[str]] = {}
        self._numbers: dict[str, list[str]] = {}
        self._paths: dict[str, list[tuple[int, str, str]]] | None = None
        # Per top level: its provisions sorted by path key, and those keys (bisected for a unit).
        self._by_key: dict[str, tuple[list[str], list[tuple[int, str, str]]]] | None = None

    @property
    def docs(self) -> dict[str, DocumentMeta]:
        if self._docs is None:
            docs = {m.doc_id: m for m in self.catalog.document_keys()}  # type: ignore[attr-defined]
            for m in docs.values():
                if m.doc_type == "patent":
                    self._patents.setdefault(patent_base(m.number or m.doc_id), []).append(m.doc_id)
                    for member in m.family:
                        self._families.setdefault(patent_base(member), []).append(m.doc_id)
                elif (key := number_key(m.number)) is not None:
                    self._numbers.setdefault(key, []).append(m.doc_id)
            self._docs = docs
        return self._docs

    def warm(self) -> None:
        """Read the documents' keys and the provision paths now, not at the first citation."""
        self._keyed("")
        _ = self.docs

    def _keyed(self, top: str) -> tuple[list[str], list[tuple[int, str, str]]]:
        """The provisions under one top level sorted by path key, with their keys: a unit and
        everything under it share its key as a prefix, so they lie together (at 1M chunks a
        top level like "3" holds tens of thousands of provisions: checking each took ~100 ms)."""
        if self._by_key is None:
            built = {}  # built whole, then published: searches may resolve concurrently
            for t, entries in self._provisions().items():
                ordered = sorted(entries, key=lambda e: e[2])
                built[t] = ([e[2] for e in ordered], ordered)
            self._by_key = built
        return self._by_key.get(top, ([], []))

    def _provisions(self) -> dict[str, list[tuple[int, str, str]]]:
        if self._paths is None:
            paths: dict[str, list[tuple[int, str, str]]] = {}
            for rowid, doc_id, path in self.catalog.provision_paths():  # type: ignore[attr-defined]
                key = rule_key(path)
                paths.setdefault(path_top(key), []).append((rowid, doc_id, key))
            self._paths = paths
        return self._paths

    def find_document(self, typed: str) -> str | None:
        """The doc id a typed number or name stands for ('US 6,078,496 B1', 'GDPR',
        '35 U.S.C.', 'G. ZH. F. G. Z. [2013] No. 27', a title), or None."""
        docs = self.docs
        if typed in docs:
            return typed
        for ref in parse_references(typed):
            if ref.kind in ("patent", "document-number") and (units := self.resolve(ref)):
                return units[0].doc_id
        low = " ".join(typed.lower().split())
        for m in docs.values():
            names = [m.number or "", m.title or "", m.doc_id]
            if low and any(low == " ".join(n.lower().split()) for n in names):
                return m.doc_id
        if GDPR_HINT.fullmatch(typed.strip()):
            return next((d for d, m in docs.items() if law_matches(m, "gdpr", "gdpr-article")), None)
        if re.fullmatch(r"(?:35\s*)?U\.?\s?S\.?\s?C\.?", typed.strip(), re.I):
            return next((d for d, m in docs.items() if law_matches(m, "usc35", "usc")), None)
        return None

    def section_rowids(self, doc_id: str, path: str) -> list[int]:
        """Row ids of every chunk of one provision (a long one is cut into several)."""
        key = rule_key(path)
        return [r for r, d, k in self._provisions().get(path_top(key), []) if d == doc_id and k == key]

    def provisions_of(self, doc_ids: set[str]) -> list[tuple[int, str, str]]:
        """(rowid, doc id, path) of every chunk of these documents (those that are not patents)."""
        return [e for entries in self._provisions().values() for e in entries if e[1] in doc_ids]

    def resolve(self, ref: Reference) -> list[CitedUnit]:
        """Every unit the reference may name, in document order (the searcher picks among
        several by the rest of the query)."""
        docs = self.docs
        if ref.kind == "patent":
            found = self._patents.get(ref.key, [])
            if ref.kind_code:
                exact = [d for d in found if (docs[d].number or d).upper().endswith(ref.kind_code.upper())]
                found = exact or found
            if found:
                return [CitedUnit(ref, d) for d in found]
            return [
                CitedUnit(ref, d, via=f"{ref.typed} is not in the corpus; {docs[d].number or d} is of its family")
                for d in dict.fromkeys(self._families.get(ref.key, []))
            ]
        if ref.kind == "document-number":
            return [CitedUnit(ref, d) for d in self._numbers.get(ref.key, [])]
        by_doc: dict[str, list[int]] = {}
        keys, entries = self._keyed(path_top(ref.key))
        under = entries[bisect_left(keys, ref.key) : bisect_left(keys, ref.key + "\U0010ffff")]
        for rowid, doc_id, key in sorted(under):  # by rowid: document order
            if unit_contains(key, ref.key, ref.kind) and law_matches(docs[doc_id], ref.law, ref.kind):
                by_doc.setdefault(doc_id, []).append(rowid)
        return [CitedUnit(ref, d, tuple(rowids)) for d, rowids in by_doc.items()]


def unit_of(path: str) -> tuple[str, RefKind]:
    """A path as typed (``Article 17``, ``§102(a)``, ``102(a)``, ``第24条``, ``4.1.1(4)``)
    as the corpus prints it, with the kind of unit it is.

    >>> unit_of("§102(a)"), unit_of("第24条"), unit_of("Art. 17(1)"), unit_of("IV.i.3")
    (('§ 102(a)', 'usc'), ('第二十四条', 'cn-article'), ('Article 17(1)', 'gdpr-article'), ('IV.i.3', 'rule'))
    """
    text = path.strip()
    if re.fullmatch(r"\d{1,4}[a-z]?(?:\([a-zA-Z0-9]{1,4}\))*", text):
        text = "§ " + text
    refs = [r for r in parse_references(text) if r.kind != "patent"]
    if refs and refs[0].span[0] == 0:
        return refs[0].key, refs[0].kind
    return rule_key(text), "rule"


def provision_chunks(chunks: list[Chunk], path: str) -> list[Chunk]:
    """The chunks of one document that make up the unit a path names (it and what lies
    under it), in document order."""
    unit, kind = unit_of(path)
    exact = [c for c in chunks if c.path == path.strip()]
    return exact or [c for c in chunks if unit_contains(rule_key(c.path) if kind == "rule" else c.path, unit, kind)]
