"""A thinking model's ``<think>…</think>`` blocks, taken out of a streamed answer.

Qwen3 and other hybrid models think before they answer unless the chat template is told not to
(``enable_thinking=False``). The app asks them not to; where a model thinks anyway (a template
without the switch, a server that ignores it), the block must never reach the editor, the 构思's
JSON parser or the loop guard. :class:`ThinkSplitter` sits where the engine decodes text: it
splits each piece into what is shown and what was thought, holding back only a tail that may
still become a tag, so text streams as before. A block that never closes is all thought.
"""

from __future__ import annotations

from dataclasses import dataclass

OPEN = "<think>"
CLOSE = "</think>"
_BLANK = " \t\r\n"  # what may separate a block from the answer (not U+3000, an indent)
ONLY_THOUGHT = "模型只写了思考过程，没有写出正文 (the model only thought and wrote no answer)"


def _partial_tail(text: str, tag: str) -> int:
    """How many characters at the end of ``text`` could be the start of ``tag``."""
    for k in range(min(len(tag) - 1, len(text)), 0, -1):
        if text.endswith(tag[:k]):
            return k
    return 0


@dataclass
class ThinkSplitter:
    """Feed decoded text; get back (shown, thought). ``inside``: within a ``<think>`` block now."""

    inside: bool = False
    thought: str = ""  # all that was thought so far
    shown: bool = False  # whether any answer text came out yet
    _held: str = ""  # a tail that may still become a tag
    _after_close: bool = False  # the answer's leading blank lines after a block are dropped

    def feed(self, text: str) -> tuple[str, str]:
        text = self._held + text
        self._held = ""
        shown: list[str] = []
        thought: list[str] = []
        while text:
            tag = CLOSE if self.inside else OPEN
            i = text.find(tag)
            if i < 0:
                keep = _partial_tail(text, tag)
                body, self._held = text[: len(text) - keep], text[len(text) - keep :]
                (thought if self.inside else shown).append(body)
                break
            (thought if self.inside else shown).append(text[:i])
            text = text[i + len(tag) :]
            self.inside = not self.inside
            self._after_close = not self.inside
        out = "".join(shown)
        if self._after_close:
            stripped = out.lstrip(_BLANK)
            if stripped or out:
                self._after_close = not stripped
            out = stripped
        idea = "".join(thought)
        self.thought += idea
        self.shown = self.shown or bool(out.strip())
        return out, idea

    def finish(self) -> tuple[str, str]:
        """The held-back tail at the end of the answer: shown, or thought inside a block."""
        rest, self._held = self._held, ""
        if self.inside:
            self.thought += rest
            return "", rest
        if self._after_close:
            rest = rest.lstrip(_BLANK)
        self.shown = self.shown or bool(rest.strip())
        return rest, ""

    @property
    def only_thought(self) -> bool:
        """The model thought and wrote no answer (an unclosed block, or nothing after it)."""
        return bool(self.thought.strip()) and not self.shown


def strip_thinking(text: str) -> str:
    """``text`` without its think blocks (a whole answer, not a stream)."""
    s = ThinkSplitter()
    shown, _ = s.feed(text)
    rest, _ = s.finish()
    return shown + rest
