import itertools

import pytest
from scripted_engine import Reply, ScriptedEngine

from writer_app.domain import Thought, find_genre, load_genres
from writer_app.errors import BadInputError
from writer_app.llm.engine import CancelToken, GenerationParams
from writer_app.resources import resources_dir
from writer_app.writing.draft import (
    clean_prose,
    clean_title,
    collect_draft,
    continue_text,
    draft,
    given_title,
    length_measure,
    plan_parts,
    rewrite_passage,
)
from writer_app.writing.guards import load_guard_rules
from writer_app.writing.prompts import PromptSet, load_prompts
from writer_app.writing.rubric import count_chars

QUERY = "写一篇关于坚持的议论文，不少于800字。"
THOUGHT = Thought.from_markdown(
    "## 立意\n坚持成就自我\n\n## 结构\n1. 开头（约20字）：提出论点\n2. 论证（约40字）：举例\n3. 结尾：总结\n"
)
_CHARS = itertools.cycle("甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥金木水火土日月星山川河海风云雷电")


def sent(n: int, ch: str | None = None) -> str:
    """A sentence of n characters including its full stop; each call a new character, so no two
    sentences share a bigram (the guard would take them for repeats)."""
    return (ch or next(_CHARS)) * (n - 1) + "。"


@pytest.fixture
def prompts():
    return load_prompts(resources_dir(), "draft")


@pytest.fixture
def rules():
    return load_guard_rules(resources_dir())


@pytest.fixture
def genre():
    return find_genre(load_genres(resources_dir()), "议论文")


def shown(events) -> str:
    return "".join(e.text for e in events if e.kind == "text")


def guarded(
    engine,
    prompts,
    genre,
    rules,
    target_chars: int,
    cancel: CancelToken | None = None,
    params: GenerationParams | None = None,
) -> list:
    """The events of a guarded draft of QUERY from THOUGHT, without a title."""
    return list(
        draft(
            engine,
            prompts,
            QUERY,
            THOUGHT,
            genre,
            params or GenerationParams(),
            target_chars=target_chars,
            cancel=cancel,
            with_title=False,
            rules=rules,
        )
    )


def test_budgets_follow_the_plan_and_add_up_to_the_target(genre):
    parts = plan_parts(THOUGHT, genre, 800)
    assert [p.title for p in parts] == ["开头", "论证", "结尾"]
    assert sum(p.chars for p in parts) == 800
    assert parts[1].chars == 2 * parts[0].chars  # 20:40, the unbudgeted part gets the average
    assert [p.title for p in plan_parts(Thought(), genre, 800)] == list(genre.structure)


def test_markdown_from_the_model_becomes_plain_paragraphs():
    raw = "### 1.1 论点\n#### 定义\n- **坚持**：一种品质。\n\n2. 第二点。\n**小结**\n第二部分：结尾\n正文。"
    assert clean_prose(raw, final=True) == "坚持：一种品质。\n第二点。\n正文。"
    assert clean_prose("正文。\n##", final=False) == "正文。"
    assert clean_prose("正文。\n- **坚", final=False) == "正文。"


def test_a_title_loses_its_label_but_keeps_its_own_colon():
    assert clean_title("标题：《那盏灯》") == "那盏灯"
    assert clean_title("论文：速与慢：效率") == "速与慢：效率"
    assert clean_title("\n\n《那盏灯》\n正文") == "那盏灯"  # a leading blank line is not an empty title


def test_a_prompt_that_names_its_title_gets_it_without_asking(prompts, genre):
    engine = ScriptedEngine([sent(40), sent(60), sent(40)])
    result = collect_draft(
        draft(
            engine,
            prompts,
            "以“那盏灯”为题，写一篇记叙文。",
            THOUGHT,
            genre,
            GenerationParams(),
            target_chars=120,
        )
    )
    assert result.title == "那盏灯" and result.answer.startswith("那盏灯\n")
    assert "标题" not in engine.requests[0][0][-1]["content"]  # no request spent on a title
    assert given_title("以“那一刻，我读懂了……”为题，写一篇记叙文。") == ""  # a title to complete is asked


def test_draft_follows_the_plan_part_by_part_and_lands_on_the_target(prompts, genre):
    title = "坚持的力量"
    engine = ScriptedEngine(
        [
            title,
            sent(12) + sent(12) + sent(12),  # budget 33: the first sentence end past it is 36
            "### 论证\n" + sent(30) + sent(30) + sent(30),  # budget 64 (67 less the 3 written beyond)
            sent(10) + sent(10) + sent(10) + sent(10) + sent(10),  # the rest: 150 - 96 = 54
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
    assert shown(events) == result.answer
    assert result.title == title and result.answer.startswith(title + "\n")
    assert [p.chars for p in result.parts] == [36, 90, 30]  # each part stops past its budget
    assert [p.target for p in result.parts] == [33, 64, 24]  # what a part writes beyond comes off the next
    assert abs(result.chars - 150) <= 0.15 * 150 and result.finish_reason == "stop"
    assert engine.closed_early >= 1  # a part was cut mid-stream and its request stopped
    convs = [m for m, _ in engine.requests]
    for a, b in zip(convs, convs[1:], strict=False):
        assert b[: len(a)] == a  # one conversation: each request extends the one before
    task = convs[0][1]["content"]
    assert QUERY in task and "坚持成就自我" in task
    assert "提出论点" not in task and "结构" not in task  # the plan's wording is not shown whole
    assert "举例" in convs[2][-1]["content"]  # each part's turn carries its own purpose


def test_each_part_carries_its_own_materials(prompts, genre):
    thought = Thought.from_markdown(
        THOUGHT.to_markdown() + "\n## 素材\n- 苏轼在黄州写《定风波》\n- 屠呦呦试验了190次\n"
    )
    engine = ScriptedEngine([sent(30), sent(60), sent(60)])
    collect_draft(
        draft(engine, prompts, QUERY, thought, genre, GenerationParams(), target_chars=120, with_title=False)
    )
    turns = [m[-1]["content"] for m, _ in engine.requests]
    assert "苏轼" in turns[1] and "苏轼" not in turns[0] + turns[2]
    assert "屠呦呦" in turns[1] or "屠呦呦" in turns[2]


def test_turns_leave_out_purposes_and_materials_that_restate_the_thesis(prompts):
    """A purpose or a 素材 item that is the 立意 again gives the part nothing of its own to say: the
    turn carries the genre's words for the part instead, and the 构思 itself keeps both."""
    essay = find_genre(load_genres(resources_dir()), "散文")
    thought = Thought.from_markdown(
        "## 立意\n老街的声音，是古老、宁静的旋律。\n\n## 结构\n1. 引入（约20字）：写老街的早晨\n"
        "2. 展开（约40字）：老街的声音，是古老、宁静的旋律\n3. 收束（约30字）：回扣\n\n"
        "## 素材\n- 事件：老街的声音，是古老、宁静的旋律\n- 修鞋的王师傅每天六点敲响铁砧\n"
    )
    query = "以“老街的声音”为题，写一篇散文，不少于90字。"
    engine = ScriptedEngine([sent(30), sent(50), sent(40)])
    collect_draft(
        draft(engine, prompts, query, thought, essay, GenerationParams(), target_chars=90, with_title=False)
    )
    turns = [m[-1]["content"] for m, _ in engine.requests]
    assert "写老街的早晨" in turns[0]  # a purpose of its own stays
    assert "材料与感悟层层推进" in turns[1] and "古老、宁静的旋律" not in turns[1]
    assert "王师傅" in turns[1] and not any("事件" in t for t in turns)
    assert "古老、宁静的旋律" in thought.to_markdown()  # the 构思 is the writer's, untouched


def test_the_so_far_style_sends_the_text_written_so_far_with_each_part(prompts, genre):
    style = PromptSet(prompts.name, prompts.templates, {**prompts.limits, "part_style": "so_far"})
    first, second = sent(30), sent(60)
    engine = ScriptedEngine(["坚持", first, second, sent(40)])
    result = collect_draft(draft(engine, style, QUERY, THOUGHT, genre, GenerationParams(), target_chars=120))
    assert result.answer == f"坚持\n{first}\n{second}\n" + result.parts[2].text
    last = engine.requests[-1][0]
    assert len(last) == 2 and first in last[1]["content"] and second in last[1]["content"]
    assert QUERY in last[1]["content"] and "3/3" in last[1]["content"]


def test_a_short_part_gets_a_continuation_and_the_remainder_passes_on(prompts, genre):
    engine = ScriptedEngine([sent(5), sent(15) + sent(15), sent(55), sent(40)])
    result = collect_draft(
        draft(engine, prompts, QUERY, THOUGHT, genre, GenerationParams(), target_chars=120, with_title=False)
    )
    first = result.parts[0]
    assert first.extended and first.chars == 5 + 30  # budget 27: 5, then 30 more
    assert "接着往下写" in engine.requests[1][0][-1]["content"]


@pytest.mark.parametrize(
    "repeat",
    [
        "我们要坚持不懈地努力学习，才能取得好成绩。",  # exact
        "才能取得好成绩，我们要坚持不懈地努力学习。",  # clauses reordered
        "我们要坚持不懈地刻苦学习，才能取得好成绩。",  # one word changed
    ],
)
def test_a_near_duplicate_sentence_is_dropped_and_resampled_never_shown(prompts, genre, rules, repeat):
    first = "我们要坚持不懈地努力学习，才能取得好成绩。"
    fresh = "屠呦呦的团队失败了一百九十次，仍然没有停下。"
    engine = ScriptedEngine([first + repeat, fresh + sent(30), sent(60), sent(40)])
    events = guarded(engine, prompts, genre, rules, 120, params=GenerationParams(seed=3))
    result = events[-1].result
    assert shown(events) == result.answer  # nothing shown is taken back
    assert result.answer.count("取得好成绩") == 1 and fresh in result.answer
    assert result.dropped[0]["reason"] == "repeat" and result.dropped[0]["sentence"] == repeat
    again = engine.requests[1][1]
    assert again.continue_last and engine.requests[1][0][-1] == {"role": "assistant", "content": first}
    assert again.seed != 3 and again.dry_multiplier > engine.requests[0][1].dry_multiplier
    assert again.presence_penalty > engine.requests[0][1].presence_penalty
    assert any(repeat in a for a in again.avoid)  # the DRY sampler is shown what was refused
    assert again.ban_first == [repeat]  # and the re-sample may not open the way it did
    assert engine.requests[0][1].ban_first == [] and engine.requests[2][1].ban_first == []


def test_markdown_marks_are_cleaned_not_refused(prompts, genre, rules):
    engine = ScriptedEngine(["**坚持**是一种可贵的品质。" + sent(30), sent(60), sent(40)])
    result = collect_draft(iter(guarded(engine, prompts, genre, rules, 110)))
    assert result.answer.startswith("坚持是一种可贵的品质。") and not result.dropped


def test_a_sentence_copying_the_plan_is_dropped(prompts, genre, rules):
    thought = Thought.from_markdown(
        THOUGHT.to_markdown() + "\n## 素材\n- 爱迪生试验了一千多种材料才找到合适的灯丝\n"
    )
    copied = "爱迪生试验了一千多种材料才找到合适的灯丝。"
    engine = ScriptedEngine(
        [sent(30), copied + sent(20), "他在实验室里熬过无数个夜晚，终于点亮了第一盏灯。" + sent(30), sent(60)]
    )
    result = collect_draft(
        draft(
            engine,
            prompts,
            QUERY,
            thought,
            genre,
            GenerationParams(),
            target_chars=120,
            with_title=False,
            rules=rules,
        )
    )
    assert copied not in result.answer and "熬过无数个夜晚" in result.answer
    assert [d["reason"] for d in result.dropped] == ["copy"]


@pytest.mark.parametrize(
    "bad",
    [
        "您可以根据实际情况补充更多事例。",
        "你可以根据自己的经历修改这段话。",
        "以下是一篇关于坚持的议论文。",
        "希望这篇文章对你有所帮助。",
        "作为AI，我认为坚持很重要。",
        "论点一（约320字）：提出中心论点。",
        "第二部分：举例论证。",
        "## 论证",
        "这是一段描述坚持的文字。",
        "论据：屠呦呦试验了一百九十次。",
        "第 2/3 部分：意象铺陈。",
        "新的事例是，我曾梦想在遥远的星球上生活。",
        "以“坚持”为题，写一篇议论文。",
        "坚持的 rhythm 很重要。",
    ],
)
def test_assistant_talk_and_plan_labels_never_reach_the_text(prompts, genre, rules, bad):
    good = "王羲之临池学书，池水尽黑。"
    # after a refused sentence the rest of that answer is dropped and the answer written again
    engine = ScriptedEngine([bad + "\n" + sent(30), good + sent(30), sent(60), sent(40)])
    events = guarded(engine, prompts, genre, rules, 110)
    result = events[-1].result
    assert good in result.answer and result.dropped
    assert result.dropped[0]["reason"] in ("assistant", "label", "noise")
    assert shown(events) == result.answer


def test_a_model_that_only_repeats_ends_the_part_early_with_a_message(prompts, genre, rules):
    same = "我们要坚持不懈地努力学习。"
    engine = ScriptedEngine([same] + [same + same] * 20)
    events = guarded(engine, prompts, genre, rules, 120)
    result = events[-1].result
    assert result.answer.count(same) == 1
    assert any("提前结束" in w for w in result.warnings)
    assert result.finish_reason != "stop"  # loop, or short: never a silent stop
    assert len(engine.requests) < 21  # bounded tries, no hang
    # each re-sample at the same point is barred from every opening refused there so far
    assert [len(p.ban_first) for _, p in engine.requests[1:6]] == [0, 1, 2, 3, 0]


def test_stop_while_a_sentence_is_held_back_keeps_the_text(prompts, genre, rules):
    cancel = CancelToken()
    held = "他还在路上，雨越下越大"  # no sentence end yet: held back when Stop comes
    engine = ScriptedEngine([sent(20), Reply(held + "，" + "甲" * 30, cancel_after=4)])
    events = guarded(engine, prompts, genre, rules, 120, cancel=cancel)
    result = events[-1].result
    assert result.finish_reason == "cancelled"
    assert result.parts[1].text.startswith("他还在路上") and shown(events) == result.answer


def test_a_draft_that_ends_short_says_so(prompts, genre):
    engine = ScriptedEngine([sent(10), "", "", "", "", "", "", "", "", ""])
    events = list(
        draft(engine, prompts, QUERY, THOUGHT, genre, GenerationParams(), target_chars=300, with_title=False)
    )
    result = events[-1].result
    assert result.finish_reason == "short"
    assert any("不足" in w for w in result.warnings) and any(e.kind == "warning" for e in events)


def test_empty_prompt_and_bad_lengths_are_refused_in_one_line(prompts, genre):
    with pytest.raises(BadInputError):
        list(draft(ScriptedEngine([]), prompts, " ", THOUGHT, genre, GenerationParams()))
    with pytest.raises(BadInputError):
        list(draft(ScriptedEngine([]), prompts, QUERY, THOUGHT, genre, GenerationParams(), target_chars=-5))
    with pytest.raises(BadInputError, match="6000"):
        list(
            draft(ScriptedEngine([]), prompts, QUERY, THOUGHT, genre, GenerationParams(), target_chars=20000)
        )


@pytest.mark.parametrize(
    "thought",
    [
        Thought(),
        Thought.from_markdown("## 结构\n1. 全文（约50字）：写坚持\n"),
        Thought.from_markdown("## 立意\n坚持\n"),
    ],
)
def test_a_tiny_target_with_an_empty_or_one_part_plan_still_writes(prompts, genre, thought):
    engine = ScriptedEngine([sent(25), sent(25), sent(25), sent(25), sent(25), sent(25)] + [""] * 12)
    result = collect_draft(
        draft(engine, prompts, QUERY, thought, genre, GenerationParams(), target_chars=50, with_title=False)
    )
    assert result.parts and 0 < result.chars


def test_a_poem_is_counted_in_lines(prompts):
    poem = find_genre(load_genres(resources_dir()), "诗歌")
    assert poem.unit == "行"
    lines = [
        "清晨的风穿过操场",
        "跑道上落满露水",
        "一只麻雀跳过球门",
        "旗杆的影子很长",
        "我们在铃声里奔跑",
        "阳光追上了书包",
    ]
    engine = ScriptedEngine(
        ["\n".join(lines[:2]) + "\n", "\n".join(lines[2:4]) + "\n", "\n".join(lines[4:]) + "\n"]
    )
    result = collect_draft(
        draft(
            engine,
            prompts,
            "以“清晨的操场”为题写一首现代诗，不少于6行。",
            Thought(),
            poem,
            GenerationParams(),
        )
    )
    assert result.target_chars == 6 and result.unit == "行"  # the prompt's 6 行, not a 字 count
    assert length_measure("行")(result.body) == 6 and result.finish_reason == "stop"
    assert (
        "6 行" in " ".join(m[-1]["content"] for m, _ in engine.requests)
        or "行" in engine.requests[0][0][1]["content"]
    )


def test_a_poem_written_in_prose_sentences_is_set_as_lines(prompts):
    poem = find_genre(load_genres(resources_dir()), "诗歌")
    engine = ScriptedEngine(
        [
            "在清晨的操场，阳光洒在跑道上。风吹过旗杆。",
            "铃声响起，我们奔跑，书包追着阳光。",
            "麻雀跳过球门，落在草地上。",
        ]
    )
    result = collect_draft(
        draft(
            engine,
            prompts,
            "写一首关于操场的现代诗，不少于6行。",
            Thought(),
            poem,
            GenerationParams(),
            with_title=False,
        )
    )
    # three parts of two lines: each clause a line, a part's last sentence cut to the lines it needs
    assert result.body.split("\n") == [
        "在清晨的操场",
        "阳光洒在跑道上",
        "铃声响起",
        "我们奔跑",
        "麻雀跳过球门",
        "落在草地上",
    ]
    assert result.finish_reason == "stop"


def test_continue_from_the_cursor_continues_the_text_and_never_repeats_it(prompts, genre, rules):
    before = "坚持是一种可贵的品质。"
    engine = ScriptedEngine(["坚持是一种可贵的品质。" + sent(30), sent(30) + sent(30)])
    events = list(
        continue_text(
            engine, prompts, QUERY, THOUGHT, genre, before, GenerationParams(), chars=50, rules=rules
        )
    )
    msgs, params = engine.requests[0]
    assert params.continue_last and msgs[-1] == {"role": "assistant", "content": before}
    text = events[-1].result.parts[0].text
    assert before not in text and count_chars(text) >= 50


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


def test_guards_can_be_switched_off_in_the_prompt_data(prompts, genre, rules):
    off = PromptSet(prompts.name, prompts.templates, {**prompts.limits, "guard": {"enabled": False}})
    same = "我们要坚持不懈地努力学习。"
    engine = ScriptedEngine([same + same + sent(20), sent(60), sent(60)])
    result = collect_draft(
        draft(
            engine,
            off,
            QUERY,
            THOUGHT,
            genre,
            GenerationParams(),
            target_chars=100,
            with_title=False,
            rules=rules,
        )
    )
    assert result.answer.count(same) == 2 and not result.dropped


def test_draft_through_the_real_llama_path_streams_exactly_the_answer(tiny_engine, prompts, genre, rules):
    events = list(
        draft(
            tiny_engine,
            prompts,
            QUERY,
            THOUGHT,
            genre,
            GenerationParams(seed=2, max_tokens=64),
            target_chars=60,
            rules=rules,
        )
    )
    result = events[-1].result
    assert result.finish_reason in ("stop", "loop", "short", "long")
    assert shown(events) == result.answer
    assert len(result.parts) == 3 and all(count_chars(p.text) == p.chars for p in result.parts)


def test_carriage_returns_and_unicode_separators_become_the_editors_newlines(prompts, genre):
    """Qt's editors store CR, U+2028 and U+2029 as "\n": the draft must hold what the editor shows."""
    engine = ScriptedEngine(["第一句话写在这里。\r\n第二句\u2028话写在这里。\u2029第三句话写在这里。\r"])
    events = list(continue_text(engine, prompts, QUERY, THOUGHT, genre, "", GenerationParams(), chars=60))
    final = events[-1].result.parts[0].text
    for text in (shown(events), final):
        assert not {"\r", "\u2028", "\u2029"} & set(text)
    assert final.split("\n") == ["第一句话写在这里。", "第二句", "话写在这里。", "第三句话写在这里。"]


def test_a_poem_line_repeated_inside_a_prose_sentence_is_refused_as_a_line(prompts, rules):
    """The guard judges what the reader sees: in verse each clause is a line, so a clause that
    repeats an earlier line is a repeat even when the sentence around it is new."""
    poem = find_genre(load_genres(resources_dir()), "诗歌")
    engine = ScriptedEngine(
        [
            "晨曦的操场，我们走着新生活。",
            "阳光落在跑道上，我们走着新生活。",  # the second clause repeats a line: refused
            "风吹过旗杆，麻雀跳过球门。",
            "铃声响起，书包追着阳光。",
        ]
        + [""] * 6
    )
    result = collect_draft(
        draft(
            engine,
            prompts,
            "写一首现代诗，不少于6行。",
            Thought(),
            poem,
            GenerationParams(),
            with_title=False,
            rules=rules,
        )
    )
    lines = result.body.split("\n")
    assert lines.count("我们走着新生活") == 1
    assert any(d["reason"] == "repeat" and d["detail"] == "我们走着新生活" for d in result.dropped)
    # the new line before the repeated one is a line of its own: shown, and the answer goes on after it
    assert "阳光落在跑道上" in lines
    again = next(m for m, _p in engine.requests if m[-1]["role"] == "assistant")
    assert again[-1]["content"].endswith("阳光落在跑道上")
    assert {"sentence": "我们走着新生活。", "reason": "repeat", "detail": "我们走着新生活"} in [
        {k: d[k] for k in ("sentence", "reason", "detail")} for d in result.dropped
    ]


def test_a_draft_that_looped_says_so_whatever_its_length():
    from writer_app.writing.draft import DraftKind, DraftResult, PartResult

    parts = [
        PartResult(0, "开头", 100, "stop", text="一段。"),
        PartResult(1, "主体", 100, "loop", ended_early=True),
    ]
    r = DraftResult("题", parts, 200, "short")
    assert r.looped and r.to_dict()["looped"] is True and r.finish_reason == "short"
    assert not DraftResult("题", parts[:1], 100, "stop").looped
    assert DraftKind.TEXT == "text"  # a StrEnum: the front ends may compare with plain strings


class _RefusesPartOne:
    """A model whose every answer to part 1 is assistant talk (refused), and whose answers to
    everything else are new sentences; it records each request's messages."""

    def __init__(self) -> None:
        self.requests: list[list[dict[str, str]]] = []

    def stream(self, messages, params=None, cancel=None):
        from writer_app.llm.engine import Chunk, FinishReason, GenerationStats

        self.requests.append([dict(m) for m in messages])
        users = [m["content"] for m in messages if m["role"] == "user"]
        text = "以下是这一部分的正文。" if "第 1/3 部分" in users[-1] else sent(30)
        yield Chunk(text, 1)
        yield Chunk(finish_reason=FinishReason.STOP, stats=GenerationStats())

    def close(self) -> None:
        pass


def test_a_part_that_came_back_empty_is_not_shown_to_the_model_as_an_empty_answer(prompts, genre, rules):
    # Shown two empty answers, the demo model answered every later turn with nothing (0 字).
    engine = _RefusesPartOne()
    events = guarded(engine, prompts, genre, rules, 120)
    result = events[-1].result
    assert result.parts[0].text == "" and result.parts[0].ended_early
    assert result.parts[1].text and result.parts[2].text
    later = [r for r in engine.requests if not any("第 1/3 部分" in m["content"] for m in r)]
    assert later, "the parts after the first were asked"
    for messages in engine.requests:
        assert all(m["content"] for m in messages if m["role"] == "assistant")
    # the turn taken back carried the task: the next part's turn carries it instead
    assert QUERY in later[0][1]["content"]
