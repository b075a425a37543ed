"""Exemplars: COIG-Writer records (query → thought → answer) the writer imported, found by BM25.

The index is built from whatever records the caller hands in (a JSONL file today, the project
database once storage lands); the tokenizer is passed in too (jieba through the Analyzer).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from writer_app.domain import Exemplar
from writer_app.errors import BadInputError
from writer_app.textio import read_text_file


def load_jsonl(path: Path) -> list[Exemplar]:
    """COIG-Writer style JSONL: one object per line with ``query`` and ``thought`` (``answer``, ``query_type`` optional)."""
    text = read_text_file(str(path))
    out: list[Exemplar] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInputError(
                f"{path.name} 第 {n} 行不是合法的 JSON (line {n} is not valid JSON: {exc.msg})"
            ) from None
        if (
            not isinstance(rec, dict)
            or not str(rec.get("query", "")).strip()
            or not str(rec.get("thought", "")).strip()
        ):
            raise BadInputError(
                f"{path.name} 第 {n} 行缺少 query 或 thought (line {n} lacks query or thought)"
            )
        out.append(
            Exemplar(
                str(rec["query"]),
                str(rec["thought"]),
                str(rec.get("answer", "")),
                str(rec.get("query_type", "")),
            )
        )
    return out


class BM25Index:
    """Okapi BM25 over the exemplars' queries (plus their genre), tokens from ``tokenize``."""

    def __init__(
        self,
        docs: Iterable[Exemplar],
        tokenize: Callable[[str], list[str]],
        k1: float = 1.5,
        b: float = 0.75,
    ) -> None:
        self.docs = list(docs)
        self.tokenize = tokenize
        self.k1, self.b = k1, b
        self._tf = [Counter(self._terms(f"{d.query_type} {d.query}")) for d in self.docs]
        self._len = [sum(tf.values()) for tf in self._tf]
        self._avg = (sum(self._len) / len(self._len)) if self._len else 0.0
        df: Counter[str] = Counter()
        for tf in self._tf:
            df.update(tf.keys())
        n = len(self.docs)
        self._idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def _terms(self, text: str) -> list[str]:
        return [w for w in self.tokenize(text) if w.strip() and not _is_punct(w)]

    def scores(self, query: str) -> list[float]:
        terms = set(self._terms(query))
        out = []
        for tf, length in zip(self._tf, self._len, strict=True):
            s = 0.0
            for t in terms:
                f = tf.get(t, 0)
                if f:
                    denom = f + self.k1 * (1 - self.b + self.b * length / (self._avg or 1))
                    s += self._idf[t] * f * (self.k1 + 1) / denom
            out.append(s)
        return out

    def search(self, query: str, top: int = 3) -> list[tuple[Exemplar, float]]:
        ranked = sorted(zip(self.docs, self.scores(query), strict=True), key=lambda x: -x[1])
        return [(d, s) for d, s in ranked[:top] if s > 0]

    def best(self, query: str) -> Exemplar | None:
        hits = self.search(query, top=1)
        return hits[0][0] if hits else None


def _is_punct(word: str) -> bool:
    return all(not (c.isalnum()) for c in word)
