"""The 构思 streams into its section boxes as the model writes it (scripted engine, offscreen)."""

from __future__ import annotations

import time

from guihelp import model_settings
from scripted_engine import ScriptedEngine

ANSWERS = [
    "- 题目要求谈坚持与方法，写成议论文。\n- 容易只讲道理不举例。",
    "坚持要有方向，才能走得远。",
    "1. 引出论点：从一次长跑说起\n2. 坚持需要方向：举屠呦呦的例子\n3. 方法让坚持更有效：对比两种练习\n"
    "4. 联系自己：我的练字经历\n5. 结尾：回扣题目",
    "- 屠呦呦试验了一百九十次\n- 王羲之临池学书，池水尽黑",
    "平实，多用短句。",
    "- 不要空喊口号",
]
QUERY = "以“坚持”为话题，写一篇议论文，自拟标题，不少于800字。"


class SlowScripted(ScriptedEngine):
    """Streams like a model: a little time between chunks, so the window sees partial text."""

    def stream(self, messages, params=None, cancel=None):  # noqa: ANN001, ANN201
        for chunk in super().stream(messages, params, cancel):
            time.sleep(0.004)
            yield chunk


def test_sections_fill_while_the_model_writes_then_the_result_is_editable(make_window, qtbot, tiny_model):
    w = make_window(model_settings(tiny_model))
    w.wb.models.attach(SlowScripted(list(ANSWERS), chunk_chars=2), "scripted")
    w.prompt_tab.query.setPlainText(QUERY)
    tab = w.thought_tab
    seen: list[tuple[str, str, bool]] = []
    shown = tab.show_streamed

    def spy(key: str, text: str) -> None:
        shown(key, text)
        seen.append((key, tab.sections[key].toPlainText(), tab.sections[key].isReadOnly()))

    tab.show_streamed = spy
    with qtbot.waitSignal(w.generation_finished, timeout=60_000) as sig:
        w.generate_thought()
    assert sig.args == ["outline", "stop"], w.banner.text()
    req = [text for key, text, _ro in seen if key == "requirements"]
    assert len(req) >= 2 and req[0] != req[-1] and req[-1].startswith(req[0][:4])  # it grew in place
    assert all(ro for _k, _t, ro in seen)  # read-only while the model writes
    assert not any(e.isReadOnly() for e in tab.sections.values())  # editable again
    assert "屠呦呦" in tab.sections["materials"].toPlainText()
    assert tab.markdown().count("## ") == 6
    structure = tab.sections["structure"]
    assert structure.height() > 70  # five lines: the box grew, no scroll bar for them
    assert structure.verticalScrollBar().maximum() == 0


def test_a_failed_outline_leaves_the_thought_as_it_was(make_window, qtbot, tiny_model):
    w = make_window(model_settings(tiny_model))
    w.wb.models.attach(SlowScripted([""] * 12), "scripted")
    w.prompt_tab.query.setPlainText(QUERY)
    w.thought_tab.set_markdown("## 立意\n我自己的立意\n")
    w.thought_tab.edited.emit()
    with qtbot.waitSignal(w.generation_finished, timeout=60_000) as sig:
        w.generate_thought()
    assert sig.args == ["outline", "error"]
    assert w.thought_tab.sections["intent"].toPlainText() == "我自己的立意"
    assert not w.thought_tab.sections["intent"].isReadOnly()
    assert "构思" in w.banner.text()


def test_think_first_shows_the_thinking_beside_the_thought_and_not_in_it(make_window, qtbot, tiny_model):
    import dataclasses

    from scripted_engine import Reply

    w = make_window(dataclasses.replace(model_settings(tiny_model), think_first=True))
    thinking = "先审题：话题是坚持，要有方法。再想材料：屠呦呦。"
    engine = SlowScripted([Reply(ANSWERS[0], thinking=thinking), *ANSWERS[1:]], chunk_chars=3)
    w.wb.models.attach(engine, "scripted")
    w.prompt_tab.query.setPlainText(QUERY)
    with qtbot.waitSignal(w.generation_finished, timeout=60_000) as sig:
        w.generate_thought()
    assert sig.args == ["outline", "stop"], w.banner.text()
    tab = w.thought_tab
    assert tab.thinking_box.isVisible() and tab.thinking.toPlainText() == thinking
    assert "先审题" not in tab.markdown() and tab.markdown().count("## ") == 6
    asked = [params.thinking for _messages, params in engine.requests]
    assert asked[0] and not any(asked[1:])  # it thinks once, before the first section
    w.prompt_tab.query.setPlainText(QUERY + "（再来一次）")
    w.wb.settings.think_first = False
    engine.replies.extend(ANSWERS)
    with qtbot.waitSignal(w.generation_finished, timeout=60_000):
        w.generate_thought()
    assert not tab.thinking_box.isVisible()  # a new 构思 without thinking: the panel goes
