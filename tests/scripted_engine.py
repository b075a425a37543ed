"""A scripted stand-in for a language model: answers are given in advance, streamed in small
chunks, and every request is recorded. For testing the pipeline's logic (retries, budgets,
loops, cancels) where a random tiny model cannot be steered; the real path is covered by the
tiny GGUF tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from writer_app.llm.engine import CancelToken, Chunk, FinishReason, GenerationParams, GenerationStats, Message


@dataclass
class Reply:
    text: str
    finish: FinishReason = FinishReason.STOP
    message: str = ""
    cancel_after: int = -1  # cancel the request's token after this many chunks (a user pressing Stop)
    thinking: str = ""  # what a thinking model thinks before it answers (Chunk.thinking)


@dataclass
class ScriptedEngine:
    replies: list[Reply | str]
    chunk_chars: int = 3
    requests: list[tuple[list[Message], GenerationParams]] = field(default_factory=list)
    closed_early: int = 0  # streams the caller stopped reading before the end

    def stream(
        self,
        messages: list[Message] | str,
        params: GenerationParams | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[Chunk]:
        params = params or GenerationParams()
        self.requests.append(
            ([dict(m) for m in messages] if isinstance(messages, list) else messages, params)
        )
        if not self.replies:
            raise AssertionError("the script ran out of replies")
        reply = self.replies.pop(0)
        if isinstance(reply, str):
            reply = Reply(reply)
        finished = False
        try:
            for i in range(0, len(reply.thinking), self.chunk_chars):
                yield Chunk(thinking=reply.thinking[i : i + self.chunk_chars], tokens=1)
            text = reply.text
            for n, i in enumerate(range(0, len(text), self.chunk_chars)):
                if reply.cancel_after == n and cancel is not None:
                    cancel.cancel()
                if cancel is not None and cancel.cancelled:
                    finished = True
                    yield Chunk(finish_reason=FinishReason.CANCELLED, stats=GenerationStats())
                    return
                yield Chunk(text[i : i + self.chunk_chars], 1)
            finished = True
            yield Chunk(finish_reason=reply.finish, message=reply.message, stats=GenerationStats())
        finally:
            if not finished:
                self.closed_early += 1

    def close(self) -> None:
        pass
