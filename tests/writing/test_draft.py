import pytest
from scripted_engine import Reply, ScriptedEngine

from writer_app.domain import Thought, find_genre, load_genres
from writer_app.errors import BadInputError
from writer_app.llm.engine import CancelToken, FinishReason, GenerationParams
from writer_app.resources import resources_dir
from writer_app.writing.draft import (
    clean_prose,
    collect_draft,
    continue_text,
    draft,
    plan_parts,
    rewrite_passage,
    sentence_cut,
)
from writer_app.writing.prompts import load_prompts
from writer_app.writing.rubric import count_chars

QUERY = "写一篇关于坚持的议论文，不少于800字。"
THOUGHT = Thought.from_markdown(
    "## 立意\n坚持成就自我\n\n## 结构\n1. 开头（约20字）：提出论点\n2. 论证（约40字）：举例\n3. 结尾：总结\n"
)


def sent(n: int, ch: str = "甲") -> str:
    """A sentence of n characters including its full stop."""
    return ch * (n - 1) + "。"


@pytest.fixture
def prompts():
    return load_prompts(resources_dir(), "draft")


@pytest.fixture
def genre():
    return find_genre(load_genres(resources_dir()), "议论文")


def test_budgets_follow_the_plan_and_add_up_to_the_target(genre):
    parts = plan_parts(THOUGHT, genre, 800)
    assert [p.title for p in parts] == ["开头", "论证", "结尾"]
    assert sum(p.chars for p in parts) == 800
    assert parts[1].chars == 2 * parts[0].chars  # 20:40, the unbudgeted part gets the average
    assert [p.title for p in plan_parts(Thought(), genre, 800)] == list(genre.structure)


def test_markdown_from_the_model_becomes_plain_paragraphs():
    raw = "### 1.1 论点\n#### 定义\n- **坚持**：一种品质。\n\n2. 第二点。\n**小结**\n第二部分：结尾\n正文。"
    assert clean_prose(raw, final=True) == "坚持：一种品质。\n第二点。\n正文。"
    # while streaming, a line that may still become a heading is held back
    assert clean_prose("正文。\n##", final=False) == "正文。"
    assert clean_prose("正文。\n- **坚", final=False) == "正文。"
    assert (
        clean_prose("第一部分我们先说起因。\n", final=True) == "第一部分我们先说起因。"
    )  # prose, not a label


def test_a_part_ends_at_the_first_sentence_end_past_its_budget():
    text = sent(8) + sent(8) + sent(8)
    assert sentence_cut(text, 10, 1.15, final=False) == 16
    assert sentence_cut(sent(8), 10, 1.15, final=False) is None  # keep going
    assert sentence_cut(sent(8) + "乙" * 10, 10, 1.15, final=True) == 8  # fall back to the last end
    assert sentence_cut("乙" * 15, 10, 1.15, final=False) is None  # waiting for a sentence end
    assert (
        sentence_cut("乙" * 15 + "，" + "乙" * 6, 10, 1.15, final=False) == 16
    )  # none by 2×: cut at a clause


def test_draft_follows_the_plan_part_by_part_and_lands_on_the_target(prompts, genre):
    title = "坚持的力量"
    engine = ScriptedEngine(
        [
            title,
            sent(12) + sent(12) + sent(12),  # budget 33: kept whole, 36 (the first sentence end past 33)
            "### 论证\n"
            + sent(30)
            + sent(30)
            + sent(30),  # budget 67: heading dropped; 90 is too far, 60 kept
            sent(10) + sent(10) + sent(10) + sent(10),  # budget 50: the model stops at 40, enough
        ]
    )
    events = list(draft(engine, prompts, QUERY, THOUGHT, genre, GenerationParams(), target_chars=150))
    result = events[-1].result
    assert events[-1].kind == "done" and result is not None
    assert [e.text for e in events if e.kind == "progress"] == [
        "第1/3部分：开头",
        "第2/3部分：论证",
        "第3/3部分：结尾",
    ]
    shown = "".join(e.text for e in events if e.kind == "text")
    assert shown == result.answer
    assert result.title == title and result.answer.startswith(title + "\n")
    assert [p.target for p in result.parts] == [33, 67, 50]  # 20:40 as planned, the third gets their average
    assert [p.chars for p in result.parts] == [36, 60, 40]
    assert abs(result.chars - 150) <= 0.15 * 150
    assert result.finish_reason == "stop"
    assert engine.closed_early >= 1  # the second part was cut mid-stream and its request stopped
    # one conversation: each request extends the previous one (prefix reuse)
    convs = [m for m, _ in engine.requests]
    for a, b in zip(convs, convs[1:], strict=False):
        assert b[: len(a)] == a
    assert QUERY in convs[0][1]["content"] and "坚持成就自我" in convs[0][1]["content"]


def test_a_short_part_gets_one_continuation(prompts, genre):
    engine = ScriptedEngine([sent(5), sent(15) + sent(15), sent(55), sent(40)])
    result = collect_draft(
        draft(engine, prompts, QUERY, THOUGHT, genre, GenerationParams(), target_chars=120, with_title=False)
    )
    first = result.parts[0]
    assert (
        first.extended and first.chars == 5 + 30
    )  # budget 27: 5, then 30 more (first end past the 22 missing)
    assert first.text == sent(5) + "\n" + sent(15) + sent(15)
    assert "还不够充分" in engine.requests[1][0][-1]["content"]


def test_a_looping_part_is_retried_with_a_stronger_penalty_then_reported(prompts, genre):
    loop = Reply("哈哈哈哈哈哈", FinishReason.LOOP, "loop")
    engine = ScriptedEngine([loop, loop, sent(40), sent(40, "乙")])
    events = list(
        draft(
            engine,
            prompts,
            QUERY,
            THOUGHT,
            genre,
            GenerationParams(repeat_penalty=1.1),
            target_chars=90,
            with_title=False,
        )
    )
    kinds = [e.kind for e in events]
    assert "restart" in kinds and "warning" in kinds
    penalties = [p.repeat_penalty for _, p in engine.requests]
    assert penalties[0] == 1.1 and penalties[1] >= 1.3
    result = events[-1].result
    assert result.parts[0].loop_retried and result.finish_reason == "loop" and result.warnings


def test_stop_keeps_what_was_written(prompts, genre):
    cancel = CancelToken()
    engine = ScriptedEngine(["题目", sent(20), Reply(sent(40) + sent(40), cancel_after=3)])
    result = collect_draft(
        draft(engine, prompts, QUERY, THOUGHT, genre, GenerationParams(), target_chars=120, cancel=cancel)
    )
    assert result.finish_reason == "cancelled"
    assert result.parts[0].chars == 20 and 0 < result.parts[1].chars < 40
    assert len(result.parts) == 2 and len(engine.requests) == 3


def test_empty_prompt_and_bad_length_are_refused(prompts, genre):
    with pytest.raises(BadInputError):
        list(draft(ScriptedEngine([]), prompts, " ", THOUGHT, genre, GenerationParams()))
    with pytest.raises(BadInputError):
        list(draft(ScriptedEngine([]), prompts, QUERY, THOUGHT, genre, GenerationParams(), target_chars=-5))


def test_continue_from_the_cursor_continues_the_assistant_text(prompts, genre):
    engine = ScriptedEngine([sent(30) + sent(30)])
    before = "坚持是一种品质。"
    events = list(continue_text(engine, prompts, QUERY, THOUGHT, genre, before, GenerationParams(), chars=50))
    msgs, params = engine.requests[0]
    assert params.continue_last and msgs[-1] == {"role": "assistant", "content": before}
    assert events[-1].result.parts[0].chars == 60


def test_rewrite_uses_the_instruction_and_its_length(prompts):
    engine = ScriptedEngine([sent(50) + sent(50) + sent(50)])
    passage = "他每天跑步。" * 10
    res = collect_draft(
        rewrite_passage(engine, prompts, passage, "压缩到100字", GenerationParams(), before="上文。")
    )
    assert res.parts[0].chars == 100
    content = engine.requests[0][0][-1]["content"]
    assert "压缩到100字" in content and passage in content and "上文" in content
    with pytest.raises(BadInputError):
        list(rewrite_passage(engine, prompts, "  ", "更生动", GenerationParams()))


def test_draft_through_the_real_llama_path_streams_exactly_the_answer(tiny_engine, prompts, genre):
    events = list(
        draft(
            tiny_engine,
            prompts,
            QUERY,
            THOUGHT,
            genre,
            GenerationParams(seed=2, max_tokens=64),
            target_chars=60,
        )
    )
    result = events[-1].result
    assert result.finish_reason in ("stop", "loop")
    assert "".join(e.text for e in events if e.kind == "text") == result.answer or any(
        e.kind == "restart" for e in events
    )
    assert len(result.parts) == 3 and all(count_chars(p.text) == p.chars for p in result.parts)


def test_a_paragraph_that_repeats_an_earlier_one_ends_the_part_and_is_never_shown(prompts, genre):
    para = "我们要坚持不懈地努力学习。"
    engine = ScriptedEngine(
        [
            para + "\n" + sent(30, "乙"),
            "新的一段开头。\n" + para + "\n" + sent(30, "丙"),
            sent(40, "丁"),
            sent(30, "戊"),
        ]
    )
    events = list(
        draft(engine, prompts, QUERY, THOUGHT, genre, GenerationParams(), target_chars=90, with_title=False)
    )
    result = events[-1].result
    assert result.answer.count(para) == 1
    assert result.parts[1].text == "新的一段开头。\n" + sent(
        40, "丁"
    )  # cut before the repeat, then continued
    assert "".join(e.text for e in events if e.kind == "text") == result.answer


def test_carriage_returns_and_unicode_separators_become_the_editors_newlines(prompts, genre):
    """Qt's editors store CR, U+2028 and U+2029 as "\n": the draft must hold what the editor shows."""
    engine = ScriptedEngine(["第一句话写在这里。\r\n第二句\u2028话写在这里。\u2029第三句话写在这里。\r"])
    events = list(continue_text(engine, prompts, QUERY, THOUGHT, genre, "", GenerationParams(), chars=60))
    shown = "".join(e.text for e in events if e.kind == "text")
    final = events[-1].result.parts[0].text
    for text in (shown, final):
        assert not {"\r", "\u2028", "\u2029"} & set(text)
    assert final.split("\n") == ["第一句话写在这里。", "第二句", "话写在这里。", "第三句话写在这里。"]
