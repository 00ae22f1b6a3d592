"""Split an idea or a draft claim into its technical elements."""

from __future__ import annotations

import re

from navsearch.chunking.chunker import split_sentences

MIN_WORDS = 2
# Where a claim's elements start: after "comprising:" / "consisting of:" / "including:".
TRANSITION = re.compile(r"\b(comprising|consisting of|including|characterized in that|wherein)\b\s*:?", re.I)
CLAUSE_BREAK = re.compile(r";\s*(?:and\s+)?|,?\s+wherein\s+|,?\s+whereby\s+", re.I)


def looks_like_claim(text: str) -> bool:
    return bool(re.search(r"\b(comprising|wherein|consisting of)\b", text, re.I)) and (
        ";" in text or ":" in text or re.search(r"\bwherein\b", text, re.I) is not None
    )


def split_elements(idea: str) -> list[str]:
    """Elements of an idea: a claim's preamble and its clauses (split at ";", "wherein",
    "whereby"), or the sentences of a prose description. Fragments of a single word are
    merged into their neighbour.

    >>> split_elements("A battery pack comprising: a housing; and a hinge, wherein the housing rotates.")
    ['A battery pack', 'a housing', 'a hinge', 'the housing rotates.']
    """
    text = re.sub(r"^\s*\d{1,3}\.\s+", "", " ".join(idea.split()))  # a pasted claim's number
    if not text:
        return []
    if looks_like_claim(text):
        parts: list[str] = []
        m = TRANSITION.search(text)
        if m and m.group(1).lower() != "wherein":
            parts.append(text[: m.start()])
            text = text[m.end() :]
        parts += CLAUSE_BREAK.split(text)
    else:
        parts = [text[s:e] for s, e in split_sentences(text)]
    parts = [re.sub(r"^(?:and|wherein|whereby)\s+", "", p.strip(" ,;:"), flags=re.I) for p in parts]
    elements: list[str] = []
    for p in parts:
        if not p:
            continue
        if elements and len(p.split()) < MIN_WORDS:
            elements[-1] = f"{elements[-1]}; {p}"
        else:
            elements.append(p)
    if len(elements) > 1 and len(elements[0].split()) < MIN_WORDS:
        elements[1] = f"{elements[0]} {elements[1]}"
        elements.pop(0)
    return elements
