"""Synthetic corpora for the benchmarks: a real `papers.bib`, `taxonomy.yaml` and `citations.csv` of any size.

The shipped dataset has a few hundred papers; the benchmarks need 1k to 100k that look like it, so that
parsing, filtering and layout cost what they would on a real survey of that size. Field lengths follow the
shipped data (titles ~75 characters, summaries and notes ~200, ~6 authors, ~1.7 topics); authors come from
labs (small groups that publish together) inside a pool whose size grows with the corpus, so co-authorship
has the clustered shape of real bibliographies; a few names carry LaTeX accents and notes carry `\\_` escapes,
so the LaTeX decoder runs where real files make it run. Citation edges point to older papers with
preferential attachment (popular papers get cited more), half of them in `cites` fields and half in
`citations.csv`. The taxonomy is the shipped one, so every taxonomy id is real. Generation is seeded:
the same size always gives the same files.
"""

from __future__ import annotations

import csv
import itertools
import random
import shutil
import zlib
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TAXONOMY = ROOT / "data" / "taxonomy.yaml"

FIRST = [
    "Lihu",
    "Gaël",
    "Yaniv",
    "Matan",
    "Sang",
    "Shibani",
    "Tengyu",
    "Percy",
    "Colin",
    "Noam",
    "Hugo",
    "Thomas",
    "Jason",
    "Denny",
    "Albert",
    "Mistral",
    "Chen",
    "Wei",
    "Jie",
    "Xin",
    "Yu",
    "Li",
    "Hao",
    "Jun",
    "Ming",
    "Yang",
    "Tao",
    "Anna",
    "Maria",
    "Sofia",
    "Elena",
    "Laura",
    "Julia",
    "Sarah",
    "Emily",
    "Olivia",
    "Emma",
    "Lucas",
    "Mateo",
    "Pierre",
    "Louis",
    "Jonas",
    "Felix",
    "Lukas",
    "Paul",
    "David",
    "Daniel",
    "Michael",
    "Robert",
    "James",
    "Priya",
    "Aditi",
    "Rahul",
    "Arjun",
    "Vikram",
    "Ananya",
    "Kenji",
    "Yuki",
    "Haruto",
    "Sakura",
    "Minho",
    "Jiwoo",
    "Seojun",
    "Omar",
    "Ahmed",
    "Fatima",
    "Layla",
    "Youssef",
    "Ines",
    "Tiago",
    "Rafael",
    "Bruno",
]
LAST = [
    "Chen",
    "Varoquaux",
    "Leviathan",
    "Kalman",
    "Xie",
    "Santurkar",
    "Ma",
    "Liang",
    "Raffel",
    "Shazeer",
    "Touvron",
    "Lavril",
    "Wei",
    "Zhou",
    "Gu",
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Yang",
    "Huang",
    "Zhao",
    "Wu",
    "Sun",
    "Lin",
    "Smith",
    "Johnson",
    "Brown",
    "Garcia",
    "Miller",
    "Davis",
    "Martinez",
    "Lopez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Martin",
    "Jackson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Walker",
    "Dubois",
    "Durand",
    "Lefebvre",
    "Moreau",
    "Laurent",
    "Simon",
    "Michel",
    "Fischer",
    "Weber",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Neumann",
    "Schwarz",
    "Sharma",
    "Gupta",
    "Patel",
    "Singh",
    "Kumar",
    "Reddy",
    "Iyer",
    "Tanaka",
    "Suzuki",
    "Takahashi",
    "Watanabe",
    "Kim",
    "Park",
    "Choi",
    "Jung",
    "Kang",
    "Hassan",
    "Ali",
    "Rossi",
    "Russo",
    "Ferrari",
    "Silva",
    "Santos",
    "Costa",
    "Oliveira",
    "Pereira",
    "Novak",
    "Kowalski",
    "Nowak",
    "Jensen",
    "Hansen",
    "Larsen",
    "Berg",
    "Lund",
    "Virtanen",
    "Korhonen",
]
# Names as they appear in BibTeX exported by other tools: LaTeX accents that only the general decoder reads.
ACCENTED = ('M{\\"u}ller', 'Sch{\\"o}lkopf', "Gon{\\c{c}}alves", "Ni{\\~n}o", "Dvo{\\v{r}}{\\'a}k", "H{\\aa}kansson", "Erd{\\H{o}}s", "Jos{\\'e}")
WORDS = [
    "small",
    "large",
    "language",
    "model",
    "models",
    "distillation",
    "knowledge",
    "data",
    "selection",
    "curation",
    "pre-training",
    "instruction",
    "tuning",
    "alignment",
    "weak",
    "strong",
    "generalization",
    "supervision",
    "inference",
    "efficient",
    "speculative",
    "decoding",
    "draft",
    "verification",
    "cascade",
    "routing",
    "router",
    "cost",
    "latency",
    "quality",
    "evaluation",
    "benchmark",
    "hallucination",
    "detection",
    "uncertainty",
    "calibration",
    "retrieval",
    "augmented",
    "generation",
    "domain",
    "adaptation",
    "reasoning",
    "chain",
    "thought",
    "prompting",
    "synthetic",
    "feedback",
    "reward",
    "preference",
    "optimization",
    "compression",
    "quantization",
    "pruning",
    "sparse",
    "mixture",
    "experts",
    "tabular",
    "interpretable",
    "additive",
    "trees",
    "boosting",
    "healthcare",
    "clinical",
    "legal",
    "code",
    "software",
    "edge",
    "device",
    "mobile",
    "on-device",
    "token",
    "budget",
    "throughput",
    "memory",
    "context",
    "window",
    "attention",
    "transformer",
    "encoder",
    "decoder",
    "embedding",
    "classification",
    "extraction",
    "summarization",
    "translation",
    "question",
    "answering",
    "agents",
    "tools",
    "planning",
    "search",
    "ranking",
    "reranking",
    "labels",
    "pseudo",
    "annotation",
    "active",
    "learning",
    "few-shot",
    "zero-shot",
    "scaling",
    "laws",
    "emergent",
    "robust",
    "safety",
    "privacy",
    "federated",
    "continual",
    "multilingual",
    "vision",
    "multimodal",
    "speech",
    "graph",
    "neural",
    "networks",
    "proxy",
    "predictor",
]
ACRONYMS = ("BERT", "GPT", "LLaMA", "T5", "RoBERTa", "LoRA", "RAG", "MoE", "SLM", "LLM", "CoT", "RLHF", "DPO", "QA", "NLP")
VENUES = (
    ("NeurIPS", "inproceedings", "Advances in Neural Information Processing Systems (NeurIPS)"),
    ("ICML", "inproceedings", "International Conference on Machine Learning (ICML)"),
    ("ICLR", "inproceedings", "International Conference on Learning Representations (ICLR)"),
    ("ACL", "inproceedings", "Annual Meeting of the Association for Computational Linguistics (ACL)"),
    ("EMNLP", "inproceedings", "Conference on Empirical Methods in Natural Language Processing (EMNLP)"),
    ("NAACL", "inproceedings", "Conference of the North American Chapter of the Association for Computational Linguistics (NAACL)"),
    ("Findings of ACL", "inproceedings", "Findings of the Association for Computational Linguistics: ACL"),
    ("Findings of EMNLP", "inproceedings", "Findings of the Association for Computational Linguistics: EMNLP"),
    ("COLM", "inproceedings", "Conference on Language Modeling (COLM)"),
    ("AAAI", "inproceedings", "AAAI Conference on Artificial Intelligence (AAAI)"),
    ("KDD", "inproceedings", "ACM SIGKDD Conference on Knowledge Discovery and Data Mining (KDD)"),
    ("TMLR", "article", "Transactions on Machine Learning Research"),
    ("Nature Communications", "article", "Nature Communications"),
)
YEARS = (2015, 2017, 2018, 2019, 2020, 2021, 2022, 2023, 2024, 2025)
YEAR_WEIGHTS = (1, 1, 1, 4, 7, 3, 13, 47, 45, 26)  # the shipped data's distribution
RELATION_WEIGHTS = {"cited-by-survey": 60, "cites-survey": 20, "curated": 17, "community": 3}


def taxonomy_ids(path: Path = TAXONOMY) -> list[str]:
    """Every node id of the taxonomy file, in file order."""
    out: list[str] = []

    def visit(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            out.append(node["id"])
            visit(node.get("children") or [])

    visit(yaml.safe_load(path.read_text(encoding="utf-8"))["nodes"])
    return out


def taxonomy_topics(path: Path = TAXONOMY) -> list[str]:
    """The method families the taxonomy names (`facets`), used as topics like the shipped data does."""
    out: list[str] = []

    def visit(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            out.extend(node.get("facets") or [])
            visit(node.get("children") or [])

    visit(yaml.safe_load(path.read_text(encoding="utf-8"))["nodes"])
    return [*dict.fromkeys(out), "small language model", "benchmark comparison", "on-device inference", "survey", "healthcare"]


# Zipf weights over the word list: a few words are very common, as in real titles, so searches match realistic shares.
_WORD_WEIGHTS = list(itertools.accumulate(1 / (rank + 2) for rank in range(len(WORDS))))


def _words(rng: random.Random, lo: int, hi: int) -> list[str]:
    return rng.choices(WORDS, cum_weights=_WORD_WEIGHTS, k=rng.randint(lo, hi))


def _sentence(words: list[str]) -> str:
    text = " ".join(words)
    return text[:1].upper() + text[1:]


class _Authors:
    """A pool of labs; a paper's authors mostly come from one lab, sometimes with outside collaborators."""

    def __init__(self, rng: random.Random, n_papers: int) -> None:
        self.rng = rng
        size = max(60, n_papers * 3 // 2)
        names: dict[str, None] = {}
        while len(names) < size:
            last = rng.choice(ACCENTED) if rng.random() < 0.01 else rng.choice(LAST)
            first = rng.choice(FIRST)
            middle = f" {chr(65 + rng.randrange(26))}." if len(names) > 2000 and rng.random() < 0.7 else ""
            names[f"{first}{middle} {last}"] = None
        pool = list(names)
        self.labs = [pool[i : i + rng.randint(4, 14)] for i in range(0, len(pool), 9)]
        self.pool = pool

    def draw(self) -> list[str]:
        lab = self.labs[min(int(self.rng.paretovariate(1.2)) - 1, len(self.labs) - 1) if self.rng.random() < 0.3 else self.rng.randrange(len(self.labs))]
        count = max(1, min(int(self.rng.gauss(6, 3)), 25))
        chosen = self.rng.sample(lab, min(count, len(lab)))
        chosen += self.rng.sample(self.pool, max(0, count - len(chosen)) // 2 + (self.rng.random() < 0.3))
        return list(dict.fromkeys(chosen))


def _bib_name(name: str) -> str:
    """Half the names as 'Last, First', the other half as 'First Last', as real .bib files mix them."""
    first, _, last = name.rpartition(" ")
    return f"{last}, {first}" if zlib.crc32(name.encode()) % 2 else name


def write_corpus(folder: Path, size: int, seed: int = 2409) -> Path:
    """Write `size` papers (the first is the survey) as papers.bib, taxonomy.yaml and citations.csv into `folder`."""
    rng = random.Random(seed * 1_000_003 + size)
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(TAXONOMY, folder / "taxonomy.yaml")
    ids = taxonomy_ids()
    leaves = [i for i in ids if not any(j.startswith(i + "/") for j in ids)]
    topics = taxonomy_topics()
    authors = _Authors(rng, size)
    seen: set[str] = set()
    popularity: list[str] = []  # one entry per citation received, plus one each: preferential attachment
    relations = list(RELATION_WEIGHTS)
    weights = list(RELATION_WEIGHTS.values())
    blocks = ["% Synthetic corpus for the benchmarks (benchmarks/synthetic.py); not real papers.\n"]
    edges: list[tuple[str, str]] = []
    for i in range(size):
        year = 2024 if i == 0 else rng.choices(YEARS, YEAR_WEIGHTS)[0]
        names = authors.draw()
        title_words = _words(rng, 5, 13)
        if rng.random() < 0.3:
            title_words.insert(rng.randrange(len(title_words)), "{" + rng.choice(ACRONYMS) + "}")
        title = _sentence(title_words)
        if rng.random() < 0.4:
            title = rng.choice(ACRONYMS) + "-" + rng.choice(WORDS).capitalize() + ": " + title
        base = "".join(ch for ch in names[0].rpartition(" ")[2].lower() if ch.isalpha()) + str(year) + title_words[0].strip("{}").lower().replace("-", "")
        key, n = base, 0
        while key in seen:
            n += 1
            key = f"{base}{chr(96 + n)}" if n < 27 else f"{base}x{i}"
        seen.add(key)
        short, entry_type, long_name = rng.choice(VENUES) if rng.random() < 0.65 else ("arXiv", "article", "")
        arxiv = f"{year % 100:02d}{rng.randint(1, 12):02d}.{rng.randint(1, 19999):05d}"
        relation = "survey" if i == 0 else rng.choices(relations, weights)[0]
        fields = [
            ("title", title),
            ("author", " and ".join(_bib_name(a) for a in names)),
            ("year", str(year) if rng.random() > 0.005 else ""),
            ("booktitle" if entry_type == "inproceedings" else "journal", long_name or f"arXiv preprint arXiv:{arxiv}"),
            ("venue", f"{short} {year}"),
            ("eprint", arxiv),
            ("archiveprefix", "arXiv"),
            ("url", f"https://arxiv.org/abs/{arxiv}" if rng.random() > 0.01 else ""),
            ("code", f"https://github.com/{names[0].split()[0].lower()}-lab/{title_words[-1].strip('{}').lower()}-{i}" if rng.random() < 0.54 else ""),
            ("taxonomy", ", ".join(dict.fromkeys(rng.choice(leaves if rng.random() < 0.8 else ids) for _ in range(1 + (rng.random() < 0.1))))),
            ("topic", "; ".join(dict.fromkeys(rng.choice(topics) for _ in range(rng.randint(1, 3))))),
            ("relation", relation),
            ("summary", _sentence(_words(rng, 24, 34)) + (f", about {rng.randint(2, 60)}\\% better." if rng.random() < 0.1 else ".")),
            (
                "note",
                f"Authors, year and venue checked on https://papers.example.org/paper\\_files/{year}/{key}\\_{arxiv}.html. "
                + " ".join(_words(rng, 12, 20))
                + ".",
            ),
        ]
        cited = list(dict.fromkeys(rng.choice(popularity) for _ in range(rng.choice((0, 0, 1, 2, 3, 4))))) if popularity else []
        if relation == "curated" and not cited and popularity:
            cited = [rng.choice(popularity)]  # every paper links to something, as in the shipped data
        in_field = [c for c in cited if rng.random() < 0.5]
        if in_field:
            fields.append(("cites", ", ".join(in_field)))
        edges += [(key, c) for c in cited if c not in in_field]
        popularity += [key, *cited]
        body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
        blocks.append(f"@{entry_type}{{{key},\n{body}\n}}\n")
    (folder / "papers.bib").write_text("\n".join(blocks), encoding="utf-8")
    with (folder / "citations.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["citing", "cited", "source", "evidence"])
        writer.writerows((a, b, f"https://papers.example.org/{a}", "synthetic edge") for a, b in edges)
    return folder
