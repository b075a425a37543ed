"""The generation controller: when a step may start, what the writer is asked, and a streamed
rewrite with a scripted model (kept as one undo step, recorded as the CLI records it)."""

from __future__ import annotations

import types

import pytest
from PySide6.QtWidgets import QInputDialog, QWidget

from writer_app.config import EngineSettings, Settings
from writer_app.gui.panels import TAB_PROMPT

TEXT = "清晨的操场上，我一圈又一圈地奔跑。汗水湿透了衣背。"


@pytest.fixture
def scripted(monkeypatch):
    """Every model host builds its engine the one way; here that way gives a scripted model."""
    from scripted_engine import ScriptedEngine

    import writer_app.llm.local as local

    engine = ScriptedEngine([])
    monkeypatch.setattr(
        local,
        "make_engine",
        lambda *_a, **_k: (engine, types.SimpleNamespace(path="scripted.gguf", name="s")),
    )
    return engine


def _window(make_window):
    return make_window(Settings(author="王老师", engine=EngineSettings(model="scripted", seed=7)))


def test_without_a_model_no_step_starts_and_the_writer_is_told_how(make_window, qtbot):
    w = make_window()
    w.prompt_tab.query.setPlainText("写秋天")
    w.generate_thought()
    assert "还没有设置模型" in w.banner.text()
    assert not w.runner.busy("model")


def test_an_empty_prompt_sends_the_writer_to_the_prompt_page(make_window, scripted):
    w = _window(make_window)
    w.prompt_tab.query.setPlainText("   ")
    w.generate_draft()
    assert w.banner.text() == "请先填写题目。"
    assert w.tabs.currentIndex() == TAB_PROMPT
    assert scripted.requests == []


def test_the_rewrite_instruction_is_asked_over_the_window(make_window, scripted, monkeypatch):
    w = _window(make_window)
    w.draft_tab.editor.setPlainText(TEXT)
    w.draft_tab.editor.select_range(0, 5)
    asked = []

    def get_text(parent, *_a, **_k):
        asked.append(parent)
        return "", False  # the writer cancelled

    monkeypatch.setattr(QInputDialog, "getText", staticmethod(get_text))
    w.rewrite_selection()
    assert len(asked) == 1 and isinstance(asked[0], QWidget) and asked[0] is w
    assert scripted.requests == []


def test_a_rewrite_streams_in_is_one_undo_step_and_is_recorded(make_window, scripted, qtbot):
    w = _window(make_window)
    pid = w.project.id
    w.draft_tab.editor.setPlainText(TEXT)
    w.flush()
    w.draft_tab.editor.select_range(0, 16)  # the first sentence
    scripted.replies.append("清晨的操场上，我沿着跑道慢慢奔跑。")
    with qtbot.waitSignal(w.generation_finished, timeout=60_000) as sig:
        w.rewrite_selection("更生动")
    assert sig.args == ["rewrite", "stop"], w.banner.text()
    new = w.draft_tab.editor.toPlainText()
    assert new.endswith("汗水湿透了衣背。") and new != TEXT
    assert w.library.projects.get(pid).answer == new
    assert [g["kind"] for g in w.library.projects.generations(pid)] == ["rewrite"]
    w.draft_tab.editor.undo()
    assert w.draft_tab.editor.toPlainText() == TEXT


def test_ctrl_enter_runs_the_step_of_the_page_in_front(make_window, monkeypatch):
    from writer_app.gui.panels import TAB_CRITIQUE, TAB_DRAFT, TAB_THOUGHT

    w = make_window()
    ran: list[str] = []
    monkeypatch.setattr(w.generation, "generate_thought", lambda: ran.append("thought"))
    monkeypatch.setattr(w.generation, "generate_draft", lambda: ran.append("draft"))
    monkeypatch.setattr(w.critic, "run", lambda: ran.append("critique"))
    for tab in (TAB_PROMPT, TAB_THOUGHT, TAB_DRAFT, TAB_CRITIQUE):
        w.tabs.setCurrentIndex(tab)
        w.generation.generate()
    assert ran == ["thought", "thought", "draft", "critique"]
