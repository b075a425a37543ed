"""Helpers for the GUI tests: Chinese typing and model settings."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QWidget

from writer_app.config import EngineSettings, Settings


def commit_event(text: str) -> QInputMethodEvent:
    """The event an input method sends when the writer picks a phrase."""
    event = QInputMethodEvent()
    event.setCommitString(text)
    return event


def type_chinese(widget: QWidget, text: str) -> None:
    """What an input method does when the writer picks a phrase: commit it at the cursor.
    (qtbot.keyClicks aborts the process on Chinese text.)"""
    widget.setFocus()
    QApplication.sendEvent(widget, commit_event(text))


def model_settings(model: Path | str = "", **engine: object) -> Settings:
    e = EngineSettings(model=str(model), n_ctx=2048, n_threads=2, seed=3)
    return Settings(engine=replace(e, **engine), author="王老师")
