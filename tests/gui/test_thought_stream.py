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


class InProcessQwen3:
    """The llama adapter in this process over the synthetic qwen3 model, its sampled tokens
    replaced by a script per request: the real template, vocabulary, decoding and <think>
    handling, with a model that thinks on cue (a random tiny model never writes <think>)."""

    def __init__(self, model, scripts: list[str]) -> None:  # noqa: ANN001
        from writer_app.llm.llama_backend import LlamaBackend

        self.backend = LlamaBackend(str(model), n_ctx=2048, n_threads=2)
        self.scripts = scripts
        self.prompts: list[str] = []

    def load(self, cancel=None):  # noqa: ANN001, ANN201
        return self.backend.info()

    def stream(self, messages, params=None, cancel=None):  # noqa: ANN001, ANN201
        from writer_app.llm.engine import Chunk, FinishReason, GenerationParams, GenerationStats

        params = params or GenerationParams()
        llm = self.backend.llm
        ids = llm.tokenize(self.scripts.pop(0).encode("utf-8"), add_bos=False, special=True)
        tokens, _ = self.backend.tokenize_prompt(messages, params.continue_last, params.thinking)
        self.prompts.append(llm.detokenize(tokens, special=True).decode("utf-8"))
        real = llm.generate
        llm.generate = lambda *_a, **_k: (t for t in ids)
        try:
            for ev in self.backend.generate(messages, params, lambda: False):
                if ev["op"] == "text":
                    yield Chunk(text=ev["text"], tokens=ev["tokens"], thinking=ev.get("thinking", ""))
                else:
                    stats = GenerationStats(
                        **{k: v for k, v in ev["stats"].items() if k in GenerationStats.__dataclass_fields__}
                    )
                    # the script runs out as an answer ends (end of generation), not at a bound
                    reason = FinishReason.STOP if ev["reason"] == "length" else FinishReason(ev["reason"])
                    yield Chunk(finish_reason=reason, stats=stats, message=ev["message"])
        finally:
            llm.generate = real

    def close(self) -> None:
        self.backend.close()


def test_think_first_on_the_synthetic_qwen3_model(make_window, qtbot, qwen3_model):
    import dataclasses

    w = make_window(dataclasses.replace(model_settings(qwen3_model), think_first=True))
    first = "<think>\n审题：要谈坚持与方法。素材：屠呦呦。\n</think>\n\n" + ANSWERS[0]
    engine = InProcessQwen3(qwen3_model, [first, *ANSWERS[1:]])
    w.wb.models.attach(engine, "qwen3-tiny")
    try:
        w.prompt_tab.query.setPlainText(QUERY)
        with qtbot.waitSignal(w.generation_finished, timeout=60_000) as sig:
            w.generate_thought()
        assert sig.args == ["outline", "stop"], w.banner.text()
        tab = w.thought_tab
        assert "屠呦呦" in tab.thinking.toPlainText() and tab.thinking_box.isVisible()
        md = tab.markdown()
        assert "think>" not in md and "审题：要谈坚持" not in md and md.count("## ") == 6
        # the first request let the model think (Qwen3's template left its turn open); the rest
        # carried the template's empty block, which switches thinking off
        assert not engine.prompts[0].endswith("</think>\n\n")
        assert all(p.replace(" ", "").endswith("<think>\n\n</think>\n\n") for p in engine.prompts[1:])
    finally:
        engine.close()
