"""Detect degenerate repetition in streamed text (a common failure of small models on Chinese).

A loop is the same unit (2–200 characters) repeated at least ``min_repeats`` times in a row at
the end of the text, covering at least ``min_span`` characters; so "哈哈哈" or "……" in normal
writing never trips it, while "我爱我的祖国。我爱我的祖国。我爱我的祖国。我爱我的祖国。" does.
"""

from __future__ import annotations


class LoopGuard:
    def __init__(
        self,
        min_repeats: int = 4,
        min_unit: int = 2,
        max_unit: int = 200,
        min_span: int = 12,
    ) -> None:
        if min_repeats < 2 or min_unit < 1 or max_unit < min_unit:
            raise ValueError("invalid loop guard bounds")
        self.min_repeats = min_repeats
        self.min_unit = min_unit
        self.max_unit = max_unit
        self.min_span = min_span
        self._keep = max(min_repeats * max_unit, min_span) + max_unit
        self._tail = ""
        self.unit: str | None = None

    def feed(self, text: str) -> bool:
        """Add streamed text; True once the end of the text is a loop (``self.unit`` holds it)."""
        if not text:
            return self.unit is not None
        tail = self._tail + text
        if len(tail) > 2 * self._keep:
            tail = tail[-self._keep :]
        self._tail = tail
        if self.unit is None:
            self.unit = self._find(tail)
        return self.unit is not None

    def _find(self, tail: str) -> str | None:
        n = len(tail)
        last = tail[-1]
        for p in range(self.min_unit, self.max_unit + 1):
            need = max(self.min_repeats * p, self.min_span)
            if need > n:
                if self.min_repeats * p > n:
                    break
                continue
            if tail[-1 - p] != last:  # cheap necessary condition for period p
                continue
            unit = tail[-p:]
            if not unit.strip():
                continue  # runs of blank lines or spaces are layout, not a loop
            reps = -(-need // p)
            if tail[-need:] == (unit * reps)[-need:]:
                return unit
        return None


def find_loops(
    text: str,
    min_repeats: int = 4,
    min_unit: int = 2,
    max_unit: int = 200,
    min_span: int = 12,
) -> list[str]:
    """Every loop anywhere in ``text`` under :class:`LoopGuard`'s rule, shortest unit first.

    For each period p, a run of positions where ``text[i] == text[i + p]`` of length L means a
    stretch of L + p characters with period p; numpy finds those runs in one pass per period.
    """
    import numpy as np

    n = len(text)
    if n < max(min_span, min_repeats * min_unit):
        return []
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    covered = np.zeros(n, dtype=bool)
    found: list[str] = []
    for p in range(min_unit, min(max_unit, n // min_repeats) + 1):
        same = codes[p:] == codes[:-p]
        need = max((min_repeats - 1) * p, min_span - p)
        edges = np.diff(np.concatenate(([0], same.view(np.int8), [0])))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        for s, e in zip(starts[ends - starts >= need], ends[ends - starts >= need], strict=True):
            if covered[s : e + p].mean() > 0.5:
                continue  # the same stretch, already explained by a shorter unit
            unit = text[s : s + p]
            if not unit.strip():
                continue
            covered[s : e + p] = True
            if unit not in found:
                found.append(unit)
    return found
