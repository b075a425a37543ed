"""The one exception type that carries a user-facing, one-line message."""

from __future__ import annotations


class WriterAppError(Exception):
    """An error whose ``str()`` is a clear one-line message for the user.

    ``exit_code`` is what the CLI exits with; 2 means bad input, 1 a failure.
    """

    def __init__(self, message: str, *, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class BadInputError(WriterAppError):
    """The user gave us something we cannot use (path, file, option)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=2)


class ModelError(WriterAppError):
    """A model file is missing, unreadable, corrupt or cannot be loaded."""

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=2)


class ContextOverflowError(WriterAppError):
    """The prompt does not fit in the model's context window."""

    def __init__(self, prompt_tokens: int, n_ctx: int, max_tokens: int = 0) -> None:
        self.prompt_tokens = prompt_tokens
        self.n_ctx = n_ctx
        super().__init__(
            f"提示太长：{prompt_tokens} 个 token，超过上下文窗口 n_ctx={n_ctx}"
            f"（prompt of {prompt_tokens} tokens does not fit in the context of {n_ctx} tokens;"
            " shorten it or raise n_ctx）",
            exit_code=2,
        )


class DownloadError(WriterAppError):
    """A download failed; any partial file is kept for resuming."""


class CancelledError(WriterAppError):
    """The user stopped a request; callers keep whatever they already had."""

    def __init__(self) -> None:
        super().__init__("已取消 (cancelled)", exit_code=130)
