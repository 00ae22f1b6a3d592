from __future__ import annotations

from pathlib import Path

import pytest

from navsearch.chunking.chunker import Chunker, split_sentences
from navsearch.ingest.builder import TextBuilder
from navsearch.ingest.circulars import parse_circulars_text
from navsearch.types import Document


def words(texts):
    return [len(t.split()) + 2 for t in texts]


def _doc(*sections: tuple[str, str, str], doc_type: str = "policy", title: str = "T") -> Document:
    b = TextBuilder()
    for kind, path, text in sections:
        b.add(kind, path, text, heading="Heading words here")
    return Document(doc_id="d1", doc_type=doc_type, title=title, text=b.text, sections=b.sections, source="x")


def test_one_chunk_per_section_when_it_fits() -> None:
    doc = _doc(("claim", "claim 1", "A battery pack."), ("claim", "claim 2", "The pack of claim 1, detachable."))
    chunks = Chunker(words, max_tokens=32, overlap_tokens=4).chunk(doc)
    assert [c.path for c in chunks] == ["claim 1", "claim 2"]
    assert all(doc.text[c.start : c.end] == c.text for c in chunks)
    assert chunks[0].context == "Heading words here"


def test_long_sections_split_on_sentences_then_windows() -> None:
    sentences = [f"Sentence number {i} has exactly eight words here." for i in range(30)]
    run_on = " ".join(f"w{i}" for i in range(200))  # one sentence longer than the limit
    doc = _doc(("clause", "IV.i.3", " ".join(sentences)), ("clause", "V", run_on))
    chunker = Chunker(words, max_tokens=40, overlap_tokens=5)
    chunks = chunker.chunk(doc)
    assert all(words([c.embed_text])[0] <= 40 for c in chunks)
    first = [c for c in chunks if c.path == "IV.i.3"]
    assert len(first) > 1
    assert all(c.text.endswith(".") for c in first)  # sentence boundaries kept
    assert " ".join(c.text for c in first) == " ".join(sentences)
    windows = [c for c in chunks if c.path == "V"]
    assert len(windows) > 1 and windows[0].text.startswith("w0 ")
    assert windows[-1].text.endswith("w199")
    for c in chunks:
        assert doc.text[c.start : c.end] == c.text
    assert len({c.chunk_id for c in chunks}) == len(chunks)


def test_ids_are_stable_and_ignore_offsets() -> None:
    a = _doc(("clause", "I", "Alpha."), ("clause", "II", "Beta."))
    b = _doc(("clause", "I", "Alpha, longer now."), ("clause", "II", "Beta."))
    chunker = Chunker(words, 32, 4)
    ca, cb = chunker.chunk(a), chunker.chunk(b)
    assert ca[1].chunk_id == cb[1].chunk_id  # unchanged clause, moved offsets: same id
    assert ca[0].chunk_id != cb[0].chunk_id


def test_bad_settings_are_named() -> None:
    with pytest.raises(ValueError, match="max_tokens must be at least 16. Currently, max_tokens is 8"):
        Chunker(words, max_tokens=8)
    with pytest.raises(ValueError, match="overlap_tokens must be in"):
        Chunker(words, max_tokens=32, overlap_tokens=20)


def test_sentence_spans() -> None:
    text = "First one. Second (a) here; third. 4. Fourth"
    assert [text[s:e] for s, e in split_sentences(text)] == ["First one.", "Second (a) here; third.", "4.", "Fourth"]
    assert len(split_sentences("第一句。第二句。")) == 2


@pytest.mark.slow
def test_real_tokenizer_never_exceeds_the_model_limit(real_embedder, data_dir: Path) -> None:
    from navsearch.ingest.gdpr import parse_gdpr_json
    from navsearch.ingest.patent_jsonl import parse_patent_jsonl
    from navsearch.ingest.uspto_xml import parse_uspto_xml

    chunker = Chunker(real_embedder.count_tokens, real_embedder.max_tokens, 32)
    docs = (
        parse_circulars_text(data_dir / "policy" / "sipo-circulars-2013.txt")
        + parse_gdpr_json(data_dir / "statutes" / "gdpr-slice.json")
        + parse_patent_jsonl(data_dir / "patents" / "patsnap-slice.jsonl")
        + parse_uspto_xml(data_dir / "uspto" / "US08930553.xml")
    )
    n_split = 0
    for doc in docs:
        chunks = chunker.chunk(doc)
        counts = real_embedder.count_tokens([c.embed_text for c in chunks])
        assert max(counts) <= real_embedder.max_tokens == 256
        assert all(doc.text[c.start : c.end] == c.text for c in chunks)
        claims = [c.claim_number for c in chunks if c.kind == "claim"]
        assert sorted(set(claims)) == [s.claim_number for s in doc.sections if s.kind == "claim"]
        n_split += len(chunks) > len(doc.sections)
    assert n_split > 0  # some real sections were long enough to need splitting


def test_chunks_near_the_limit_are_counted_exactly_and_refused_when_over() -> None:
    """The final check recounts chunks estimated near the limit: a tokenizer whose counts
    do not add up across the context's line break is caught there, not truncated."""
    from navsearch.errors import ParseError

    seen: list[str] = []

    def not_additive(texts):
        seen.extend(texts)
        return [len(t.split()) + 2 + (20 if "\n" in t else 0) for t in texts]

    near = " ".join(["word"] * 50)  # 50 + 2 words, context 3 words: estimated 55 of 64
    with pytest.raises(ParseError, match=r"1 chunk\(s\) exceed 64 tokens, first claim 1 with 75"):
        Chunker(not_additive, max_tokens=64, overlap_tokens=4).chunk(_doc(("claim", "claim 1", near)))
    seen.clear()
    far = "A short claim."  # estimated 8 of 64: trusted, not recounted
    chunks = Chunker(not_additive, max_tokens=64, overlap_tokens=4).chunk(_doc(("claim", "claim 1", far)))
    assert len(chunks) == 1 and not [t for t in seen if "\n" in t]
