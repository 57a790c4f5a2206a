"""Does a cited sentence say what its paper says? Sentences, their citations, and a small local support check.

Terms:
- *sentence*: a piece of an answer ending in `.`, `!` or `?` (abbreviations such as "e.g." and "et al." do not
  end one); citations written right after the full stop ("... faster. [k1]") belong to the sentence before.
- *citation*: a bracketed reference, `[key]` or `[a, b]`. It is *retrieved* when it names a paper retrieved for
  the answer, *invented* otherwise: a source number out of range (`[7]` of five sources) or a key-like name
  (`[smith2020fast]`) the answer was not given.
- *evidence*: the text of a paper the check reads: its title and summary, and its authors' abstract when
  `citations refresh` has fetched one.
- *support score*: the share of the sentence's content words (stems, stop words, citations and words that only
  frame a claim such as "according" or "paper" left out) that the evidence contains. Lexical, local and instant;
  it cannot see negation or a wrong number, which is why the page shows the passage beside each sentence.
- *supported*: score >= `SUPPORT_THRESHOLD`, measured by `benchmarks/ask_eval.py --calibrate` on two labelled
  sets: each question's reference answer against its own papers and against retrieved papers it does not name
  (96 pairs: AUC 0.99, balanced accuracy 0.95 at 0.5), and 25 sentences the small model wrote, judged by a reader
  (`benchmarks/support_labels.yaml`: agreement 0.72; it passes 12 of the 13 good sentences but also 6 of the 12
  bad ones, which reuse their source's words in a garbled or reversed claim). It catches off-topic citations, not
  wrong ones: hence the passage shown beside each sentence.
- *passage*: the sentence of a paper's evidence that shares most content words with the cited sentence.
- Per sentence, as ALCE defines them (arXiv 2305.14627): a sentence is *recalled* when its cited papers together
  support it (a sentence without a citation is not); a citation is *precise* unless it is irrelevant, that is,
  it does not support the sentence alone and the sentence's other citations support it without it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from ..data.records import Paper
from ..data.words import stem

SUPPORT_THRESHOLD = 0.5  # see the module docstring; benchmarks/ask_eval.py --calibrate re-measures it
_WORD = re.compile(r"[^\W_]+")
_GROUP = re.compile(r"\[([^\[\]]*)\]")
_REFERENCE = re.compile(r"\d{1,3}|[A-Za-z][\w-]*\d{4}[\w-]*")
# Words that frame a claim rather than make it: an answer's "According to [1], the paper proposes ..." adds them.
_FRAMING_WORDS = "according paper papers study studies work author authors propose proposes proposed show shows shown using use uses used"
_FRAMING = frozenset(stem(w) for w in _FRAMING_WORDS.split())
# What a full stop does not end: abbreviations, initials, and the number of a list item at the start of a line.
_ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|et al|vs|etc|cf|fig|eq|approx|no)|\b[A-Z]|(?:^|\n)\s*\d{1,2})\.$", re.IGNORECASE)
# An end mark, closing quotes, then citations when what follows starts a new sentence (a capital, a line break, the
# end): in "faster. [k1] Cascades" the citation closes the first sentence, in "faster. [k1] is" it opens the next.
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)]*(?:(?:\s*\[[^\[\]]*\])+(?=\s*$|\s*\n|\s+[A-Z\"“(])|(?=\s|$))")


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, stripped; a trailing piece without an end mark is the last item.

    >>> split_sentences("Drafts help, e.g. for LLMs. [k1] Cascades too [k2]! [k3] is cut")
    ['Drafts help, e.g. for LLMs. [k1]', 'Cascades too [k2]!', '[k3] is cut']
    """
    out, start = [], 0
    for match in _BOUNDARY.finditer(text):
        end_mark = text[: match.start() + 1]
        if _ABBREVIATION.search(end_mark) and match.group(0) == ".":
            continue
        piece = text[start : match.end()].strip()
        if piece:
            out.append(piece)
        start = match.end()
    rest = text[start:].strip()
    return [*out, rest] if rest else out


def complete_sentences(text: str) -> str:
    """`text` up to the end of its last complete sentence: what is left of an answer cut at the token limit.

    >>> complete_sentences("Speculative decoding is fast [k1]. It uses a draft model and"), complete_sentences("No end")
    ('Speculative decoding is fast [k1].', '')
    """
    end = 0
    for match in _BOUNDARY.finditer(text):
        if not (_ABBREVIATION.search(text[: match.start() + 1]) and match.group(0) == "."):
            end = match.end()
    return text[:end].rstrip()


def references(sentence: str, known: Collection[str] = ()) -> list[str]:
    """The bracketed references of a sentence, in order, once each: the `known` keys, source numbers and key-like
    names (what the model meant as citations; "[CLS]" is none).

    >>> references("As [k2020a, 7] and [CLS] show [k2020a] [k1].", known={"k1"})
    ['k2020a', '7', 'k1']
    """
    found = (token for group in _GROUP.findall(sentence) for token in re.split(r"[,;\s]+", group) if token in known or _REFERENCE.fullmatch(token))
    return list(dict.fromkeys(found))


def content_stems(text: str) -> set[str]:
    """The stems a support check compares: no citations, stop words, framing words or one-letter words.

    >>> sorted(content_stems("According to [k1], the draft models propose tokens."))
    ['draft', 'model', 'token']
    """
    words = _WORD.findall(_GROUP.sub(" ", text).lower())
    return {s for w in words if len(w) > 1 and w not in ENGLISH_STOP_WORDS and (s := stem(w)) not in _FRAMING}


def support_score(sentence: str, evidence: str) -> float:
    """Share of the sentence's content stems found in `evidence` (0 for a sentence with none).

    >>> support_score("A draft model proposes tokens in parallel [k1].", "The small draft model guesses tokens quickly.")
    0.75
    """
    wanted = content_stems(sentence)
    if not wanted:
        return 0.0
    return round(len(wanted & content_stems(evidence)) / len(wanted), 4)


def evidence_text(paper: Paper, abstract: str = "") -> str:
    """What the check reads for `paper`: title, summary and the abstract when there is one."""
    return " ".join(part.strip().rstrip(".") + "." for part in (paper.title, paper.summary, abstract) if part.strip())


def best_passage(sentence: str, evidence: str) -> tuple[str, float]:
    """The evidence sentence sharing most content stems with `sentence`, and its support score."""
    scored = [(support_score(sentence, passage), passage) for passage in split_sentences(evidence)]
    score, passage = max(scored, key=lambda pair: pair[0], default=(0.0, ""))
    return passage, score


@dataclass(frozen=True)
class Passage:
    """Where a cited paper backs a sentence: its best passage and the support scores."""

    key: str
    text: str
    score: float  # of the whole evidence of the paper, not only this passage
    supports: bool


@dataclass(frozen=True)
class SentenceCheck:
    """One sentence of an answer and what backs it."""

    text: str
    cited: tuple[str, ...]  # retrieved keys it cites
    invented: tuple[str, ...]  # references that name no retrieved paper
    score: float  # support by all its cited papers together; 0 without a retrieved citation
    passages: tuple[Passage, ...]
    precise: tuple[str, ...]  # the cited keys that are not irrelevant (see the module docstring)

    @property
    def supported(self) -> bool:
        return bool(self.cited) and self.score >= SUPPORT_THRESHOLD

    def to_dict(self) -> dict[str, Any]:
        return {
            "sentence": self.text,
            "cited": list(self.cited),
            "invented": list(self.invented),
            "precise": list(self.precise),
            "supported": self.supported,
            "score": self.score,
            "passages": [{"key": p.key, "passage": p.text, "score": p.score, "supports": p.supports} for p in self.passages],
        }


def check_sentence(sentence: str, evidence: Mapping[str, str]) -> SentenceCheck:
    """Check `sentence` against the evidence of the papers it cites; `evidence` maps every retrieved key to its text."""
    refs = references(sentence, evidence.keys())
    cited = tuple(r for r in refs if r in evidence)
    invented = tuple(r for r in refs if r not in evidence)
    alone = {key: support_score(sentence, evidence[key]) for key in cited}
    together = support_score(sentence, " ".join(evidence[key] for key in cited)) if cited else 0.0
    passages = tuple(Passage(key, best_passage(sentence, evidence[key])[0], alone[key], alone[key] >= SUPPORT_THRESHOLD) for key in cited)

    def relevant(key: str) -> bool:
        if alone[key] >= SUPPORT_THRESHOLD:
            return True
        rest = [k for k in cited if k != key]
        return not (together >= SUPPORT_THRESHOLD and rest and support_score(sentence, " ".join(evidence[k] for k in rest)) >= SUPPORT_THRESHOLD)

    return SentenceCheck(sentence, cited, invented, together, passages, tuple(k for k in cited if together >= SUPPORT_THRESHOLD and relevant(k)))


def check_answer(text: str, evidence: Mapping[str, str]) -> list[SentenceCheck]:
    """Every sentence of an answer, checked (see `check_sentence`)."""
    return [check_sentence(sentence, evidence) for sentence in split_sentences(text)]


def evidence_for(papers: Sequence[Paper], abstracts: Mapping[str, str] | None = None) -> dict[str, str]:
    """Each paper's key mapped to its evidence text, in the order given."""
    return {p.key: evidence_text(p, (abstracts or {}).get(p.key, "")) for p in papers}
