"""The error types: one line each, and the exit code the CLI gives (2 bad input, 1 failure,
130 cancelled)."""

from __future__ import annotations

import pytest

from writer_app.errors import (
    BadInputError,
    CancelledError,
    ContextOverflowError,
    DownloadError,
    ModelError,
    WriterAppError,
)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (WriterAppError("失败"), 1),
        (DownloadError("下载失败"), 1),
        (BadInputError("坏输入"), 2),
        (ModelError("模型坏了"), 2),
        (ContextOverflowError(5000, 4096), 2),
        (CancelledError(), 130),
    ],
)
def test_each_error_is_one_line_with_its_exit_code(error, code):
    assert isinstance(error, WriterAppError)
    assert error.exit_code == code
    assert str(error) and "\n" not in str(error)


def test_a_context_overflow_names_both_sizes():
    e = ContextOverflowError(5000, 4096)
    assert (e.prompt_tokens, e.n_ctx) == (5000, 4096)
    assert "5000" in str(e) and "4096" in str(e)
