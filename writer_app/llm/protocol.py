"""The messages between the app and its inference worker process, typed in one place.

The parent sends requests (:data:`Request`); the worker answers with replies and, for a
``generate``, a stream of ``text`` events ended by one ``done``. Every message is a plain dict
(pickled over a ``multiprocessing`` pipe) whose ``op`` says which of these it is.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict


# -- requests (parent → worker) -------------------------------------------------------------------
class LoadRequest(TypedDict):
    op: Literal["load"]
    config: dict[str, Any]  # WorkerConfig as a dict


class GenerateRequest(TypedDict):
    op: Literal["generate"]
    id: int  # the request id; a cancel names it
    prompt: Any  # chat messages, or a raw completion prompt
    params: dict[str, Any]  # GenerationParams as a dict


class ShutdownRequest(TypedDict):
    op: Literal["shutdown"]


Request = LoadRequest | GenerateRequest | ShutdownRequest


# -- replies (worker → parent) ---------------------------------------------------------------------
class ReadyReply(TypedDict):
    op: Literal["ready"]
    pid: int


class LoadedReply(TypedDict):
    op: Literal["loaded"]
    info: dict[str, Any]


class InfoReply(TypedDict):  # the capability probe's one answer
    op: Literal["info"]
    info: dict[str, Any]


class TextEvent(TypedDict):
    op: Literal["text"]
    text: str
    tokens: int
    thinking: NotRequired[str]  # what a thinking model thought in these tokens (not text)
    id: NotRequired[int]


class DoneEvent(TypedDict):
    op: Literal["done"]
    reason: str  # a FinishReason value
    stats: dict[str, Any]
    message: str
    id: NotRequired[int]
    overflow: NotRequired[list[int]]  # [prompt tokens, n_ctx] when the prompt did not fit


class ErrorReply(TypedDict):
    op: Literal["error"]
    message: str
    id: NotRequired[int | None]


GenerationEvent = TextEvent | DoneEvent
Reply = ReadyReply | LoadedReply | InfoReply | TextEvent | DoneEvent | ErrorReply
