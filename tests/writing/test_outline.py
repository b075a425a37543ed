import json

import pytest
from scripted_engine import Reply, ScriptedEngine

from writer_app.domain import SECTIONS, Thought, find_genre, load_genres
from writer_app.errors import BadInputError, CancelledError, ModelError
from writer_app.llm.engine import CancelToken, FinishReason, GenerationParams
from writer_app.resources import resources_dir
from writer_app.writing.exemplars import Exemplar
from writer_app.writing.guards import load_guard_rules
from writer_app.writing.outline import (
    generate_outline,
    is_cut,
    is_prompt_fragment,
    outline_messages,
    parse_answer,
    regenerate_section,
    stream_outline,
    thought_issues,
)
from writer_app.writing.prompts import PromptSet, load_prompts

QUERY = "以“本手、妙手、俗手”为材料，写一篇议论文，自拟标题，不少于800字。"

ANSWERS = [
    "- 题目要求从围棋的三种走法谈学习和做事的道理，写成议论文。\n- 容易只谈围棋，不联系现实。",
    "先练好本手，才能下出妙手。",
    "1. 引出论点：由围棋术语引出本手的意义\n2. 本手是基础：用聂卫平练棋的事例说明基本功\n"
    "3. 妙手源于本手：对比俗手的急躁\n4. 联系现实：学习中的本手\n5. 结尾：回扣材料，总结全文",
    "- 聂卫平少年时每天复盘十局棋\n- 王羲之临池学书，池水尽黑\n- 具体的事例、人物、意象等",
    "严谨朴实，多用短句。",
    "- 不要空谈道理\n- 不要只写围棋",
]


@pytest.fixture
def prompts():
    return load_prompts(resources_dir(), "outline")


@pytest.fixture
def rules():
    return load_guard_rules(resources_dir())


@pytest.fixture
def genre():
    return find_genre(load_genres(resources_dir()), "议论文")


def test_each_section_is_asked_in_one_conversation_and_streams_into_its_box(prompts, genre, rules):
    engine = ScriptedEngine(list(ANSWERS), chunk_chars=2)
    events = list(
        stream_outline(engine, prompts, QUERY, genre, GenerationParams(), rules=rules, target_chars=900)
    )
    thought = events[-1].thought
    assert events[-1].kind == "done" and thought is not None
    first = next(e for e in events if e.kind == "section")
    assert first.key == "requirements" and len(first.text) < len(thought.section_text("requirements"))
    assert [e.key for e in events if e.kind == "section"][-1] == "structure"
    convs = [m for m, _ in engine.requests]
    assert len(convs) == 6 and QUERY in convs[0][1]["content"]
    for a, b in zip(convs, convs[1:], strict=False):
        assert b[: len(a)] == a  # each question extends the conversation (prefix reuse)
    d = thought.to_dict()
    assert d["intent"] == "先练好本手，才能下出妙手。"
    # the genre's parts, each with what this 构思 says it does
    assert [p["title"] for p in d["structure"]] == [h.split("：")[0] for h in genre.structure]
    assert d["structure"][1]["purpose"] == "用聂卫平练棋的事例说明基本功"
    assert "提出中心论点" in engine.requests[2][0][-1]["content"]  # the question lists the genre's parts
    assert sum(p["chars"] for p in d["structure"]) == 900  # the app sets the budgets
    assert d["structure"][0]["chars"] < d["structure"][1]["chars"]  # opening and ending are shorter
    assert d["materials"] == [
        "聂卫平少年时每天复盘十局棋",
        "王羲之临池学书，池水尽黑",
    ]  # the placeholder went
    assert any(e.kind == "notice" and "素材" in e.text for e in events)
    assert thought.missing_sections() == []
    assert Thought.from_markdown(thought.to_markdown()).to_dict() == d


@pytest.mark.parametrize("chunk", [1, 2, 5])
def test_the_streamed_section_always_ends_as_the_whole_answer_parses(prompts, genre, rules, chunk):
    """Any chunking (inside a list mark, a colon, a line end) ends at the same section text."""
    engine = ScriptedEngine(list(ANSWERS), chunk_chars=chunk)
    events = list(stream_outline(engine, prompts, QUERY, genre, GenerationParams(), rules=rules))
    last = {}
    for e in events:
        if e.kind == "section":
            last[e.key] = e.text
    thought = events[-1].thought
    for key, _t in SECTIONS:
        assert last[key] == thought.section_text(key)


def test_a_fragment_of_the_prompt_is_dropped_and_the_section_asked_again(prompts, genre, rules):
    answers = list(ANSWERS)
    answers.insert(1, "- 题目要求从本手谈起，联系学习生活来写。")  # the second try
    answers[0] = "- 以“本手、妙手、俗手”为材料\n- 自拟标题"  # fragments of the prompt
    engine = ScriptedEngine(answers)
    thought = generate_outline(engine, prompts, QUERY, genre, GenerationParams(), rules=rules)
    assert thought.items("requirements") == ["题目要求从本手谈起，联系学习生活来写。"]
    assert "不合用" in engine.requests[1][0][-1]["content"]


def test_unusable_part_purposes_give_way_to_the_genres(prompts, genre, rules):
    answers = list(ANSWERS)
    answers[2] = "1. 好的，我来为您写结构。\n2. 部分名：这一部分具体写什么\n3. 本手是基础\n4. 本手是基础"
    notes = []
    thought = generate_outline(
        ScriptedEngine(answers),
        prompts,
        QUERY,
        genre,
        GenerationParams(),
        rules=rules,
        on_event=lambda e: notes.append(e.text) if e.kind == "notice" else None,
    )
    parts = thought.parts()
    assert [p.title for p in parts] == [h.split("：")[0] for h in genre.structure]
    assert parts[0].purpose == genre.structure[0] and parts[1].purpose == genre.structure[1]
    assert parts[2].purpose == "本手是基础" and parts[3].purpose == genre.structure[3]  # the repeat gave way
    assert any("结构" in n and "去掉" in n for n in notes)


def test_a_regenerated_structure_that_cannot_be_followed_becomes_the_genres(prompts, rules):
    story = find_genre(load_genres(resources_dir()), "小说-故事")
    thought = Thought.from_markdown("## 结构\n1. 标题（约470字）：题目\n2. 正文（约30字）：写\n")
    from writer_app.writing.outline import fit_structure

    notice = fit_structure(thought, story, 800, rules)
    assert "常用结构" in notice
    assert [p.title for p in thought.parts()] == [h.split("：")[0] for h in story.structure]


def test_a_cut_answer_loses_its_unfinished_line(prompts, genre, rules):
    answers = list(ANSWERS)
    answers[3] = Reply(
        "- 聂卫平少年时每天复盘十局棋\n- 王羲之临池学书，池水尽黑\n- 苏轼在黄州写下了", FinishReason.LENGTH
    )
    thought = generate_outline(
        ScriptedEngine(answers), prompts, QUERY, genre, GenerationParams(), rules=rules
    )
    assert thought.items("materials") == ["聂卫平少年时每天复盘十局棋", "王羲之临池学书，池水尽黑"]


def test_the_checks_name_each_kind_of_defect(rules):
    t = Thought.from_markdown(
        "## 审题\n- 以“本手、妙手、俗手”为材料\n- 要联系现实谈学习\n## 结构\n1. 一（约200字）：说明本手的重要性及重\n"
        "2. 二（约200字）：说明本手的重要性及意义\n## 素材\n- 本文需要具体的事例、人物、意象等\n- 苏轼《定风波》\n"
    )
    iss = thought_issues(t, QUERY, rules, 800)
    assert iss.fragments == ["以“本手、妙手、俗手”为材料"]
    assert iss.duplicate_purposes == ["说明本手的重要性及意义"]
    assert (
        iss.cut == ["说明本手的重要性及重"] or "说明本手的重要性及重" not in iss.cut
    )  # ends mid-word, not on a particle
    assert iss.generic == ["本文需要具体的事例、人物、意象等"]
    assert is_cut("结构的") and is_cut("从本手、") and not is_cut("先练好本手。")
    assert is_prompt_fragment("自拟标题，不少于800字", QUERY) and not is_prompt_fragment(
        "联系学习谈本手的意义", QUERY
    )


def test_answers_in_any_list_form_become_items():
    assert parse_answer("materials", "1. 苏轼\n2）聂卫平\n* 王羲之") == "- 苏轼\n- 聂卫平\n- 王羲之"
    assert parse_answer("requirements", "审题：要写议论文。要联系现实。") == "- 要写议论文。\n- 要联系现实。"
    assert (
        parse_answer("structure", "开头（约100字）：引题\n结尾：总结", "字") == "1. 开头：引题\n2. 结尾：总结"
    )
    assert parse_answer("intent", "**立意**：本手为本") == "本手为本"


def test_the_json_form_stays_for_comparison(prompts, genre, rules):
    answer = {
        "requirements": ["议论文"],
        "intent": "本手为本",
        "structure": [
            {"title": "开头", "purpose": "引题", "chars": 100},
            {"title": "论证", "purpose": "举例", "chars": 200},
            {"title": "结尾", "purpose": "总结", "chars": 100},
        ],
        "materials": ["聂卫平"],
        "style": "严谨",
        "self_check": ["不空谈"],
    }
    as_json = PromptSet(prompts.name, prompts.templates, {**prompts.limits, "format": "json"})
    engine = ScriptedEngine([json.dumps(answer, ensure_ascii=False)])
    t = generate_outline(engine, as_json, QUERY, genre, GenerationParams(), rules=rules, target_chars=800)
    assert engine.requests[0][1].json_schema is not None
    assert sum(p.chars for p in t.parts()) == 800 and t.section_text("intent") == "本手为本"


def test_outline_prompt_carries_the_genre_and_the_exemplar(prompts, genre):
    ex = Exemplar("写一篇关于坚持的议论文", "## 立意\n坚持是成功之本\n" + "长" * 2000)
    json_prompts = PromptSet(prompts.name, prompts.templates, {**prompts.limits, "format": "json"})
    msgs = outline_messages(json_prompts, QUERY, genre, 800, ex, template="json_user")
    user = msgs[1]["content"]
    assert QUERY in user and genre.structure[0] in user and "800" in user
    assert "坚持是成功之本" in user and "长" * 700 not in user  # the exemplar is cut to its limit


@pytest.mark.parametrize("query", ["", "   \n", "题" * 20000])
def test_empty_and_huge_prompts_are_refused_before_any_model_call(prompts, genre, rules, query):
    engine = ScriptedEngine([])
    with pytest.raises(BadInputError, match="题目"):
        generate_outline(engine, prompts, query, genre, GenerationParams(), rules=rules)
    assert engine.requests == []


def test_a_model_that_writes_nothing_gets_a_clear_error(prompts, genre, rules):
    with pytest.raises(ModelError, match="构思"):
        generate_outline(ScriptedEngine([""] * 12), prompts, QUERY, genre, GenerationParams(), rules=rules)


def test_stop_while_the_outline_streams(prompts, genre, rules):
    cancel = CancelToken()
    engine = ScriptedEngine([Reply(ANSWERS[0], cancel_after=3)])
    with pytest.raises(CancelledError):
        generate_outline(engine, prompts, QUERY, genre, GenerationParams(), rules=rules, cancel=cancel)


def test_regenerating_one_section_keeps_every_other_byte(prompts, genre, rules):
    md = (
        "# 我的构思\n老师批注：注意扣题\n\n## 审题\n- [x] 议论文\n\n## 立意\n本手为本\n\n"
        "## 结构\n1. 开头（约200字）：引题\n2. 结尾（约600字）：总结\n\n## 风格\n朴实\n"
    )
    thought = Thought.from_markdown(md)
    engine = ScriptedEngine(["先有本手，后有妙手；守正才能出奇。"])
    seen = []
    out = regenerate_section(
        engine,
        prompts,
        QUERY,
        genre,
        thought,
        "intent",
        GenerationParams(),
        rules=rules,
        on_event=seen.append,
    )
    assert out.section_text("intent") == "先有本手，后有妙手；守正才能出奇。"
    assert out.to_markdown().replace("先有本手，后有妙手；守正才能出奇。", "本手为本") == md
    assert thought.section_text("intent") == "本手为本"  # the input is not changed
    assert seen and seen[-1].key == "intent"  # the section streamed
    assert "老师批注" in engine.requests[0][0][1]["content"]


def test_regenerating_an_unknown_section_is_refused(prompts, genre, rules):
    with pytest.raises(BadInputError, match="未知的构思部分"):
        regenerate_section(
            ScriptedEngine([]), prompts, QUERY, genre, Thought(), "plot", GenerationParams(), rules=rules
        )


def test_outline_through_the_real_llama_path(tiny_engine, prompts, genre, rules):
    """A random tiny model writes nonsense; the outline still completes, parses back the same,
    and falls back to the genre's structure where its own is unusable."""
    small = {k: 40 for k in prompts.limit("section_tokens")}  # the tiny model's context is 2048 tokens
    tiny = PromptSet(prompts.name, prompts.templates, {**prompts.limits, "section_tokens": small})
    try:
        t = generate_outline(tiny_engine, tiny, QUERY, genre, GenerationParams(seed=3), rules=rules)
    except ModelError as exc:  # nothing usable at all is reported in one line
        assert "构思" in str(exc)
        return
    d = t.to_dict()
    assert len(d["structure"]) >= 2 and sum(p["chars"] for p in d["structure"]) == 800
    assert Thought.from_markdown(t.to_markdown()).to_dict() == d


def test_an_answer_stops_once_it_holds_all_that_is_kept(prompts, genre, rules):
    """Lines past what mend_section keeps are not generated: the stream is closed early."""
    rambling = list(ANSWERS)
    rambling[1] = "先练好本手，才能下出妙手。本手是根本。妙手是升华。俗手是教训。" * 3
    places = ["北京", "上海", "广州", "深圳", "成都", "重庆", "西安", "南京", "杭州", "武汉", "长沙"]
    rambling[3] = "".join(f"- 聂卫平{i}岁在{c}下了一盘棋\n" for i, c in enumerate(places, 6))
    engine = ScriptedEngine(rambling, chunk_chars=3)
    thought = generate_outline(
        engine, prompts, QUERY, genre, GenerationParams(), rules=rules, target_chars=800
    )
    assert engine.closed_early == 2
    assert thought.section_text("intent") == "先练好本手，才能下出妙手。 本手是根本。"
    assert len(thought.items("materials")) == 4
    assert "深圳" in engine.requests[4][0][-2]["content"]
    assert (
        "广州" not in engine.requests[4][0][-2]["content"].split("深圳")[1]
    )  # kept 4 + 1 in the conversation  # the conversation keeps what was kept


def test_a_section_left_empty_says_so(prompts, genre, rules):
    empty = list(ANSWERS)
    empty[4] = "\n"  # 风格: nothing, asked again, still nothing
    engine = ScriptedEngine([*empty[:5], "\n", empty[5]])
    events = list(stream_outline(engine, prompts, QUERY, genre, GenerationParams(), rules=rules))
    assert any(e.kind == "notice" and "「风格」留空" in e.text for e in events)
    assert events[-1].thought.section_text("style") == ""
