import json

import pytest
from scripted_engine import ScriptedEngine

from writer_app.domain import Thought, find_genre, load_genres, thought_schema
from writer_app.errors import BadInputError, ModelError
from writer_app.llm.engine import GenerationParams
from writer_app.resources import resources_dir
from writer_app.writing.exemplars import Exemplar
from writer_app.writing.outline import generate_outline, outline_messages, regenerate_section
from writer_app.writing.prompts import load_prompts

QUERY = "以“本手、妙手、俗手”为材料，写一篇议论文，自拟标题，不少于800字。"
# bounds a random tiny model can fill within its 2048-token context
TINY_LIMITS = {
    "requirements_items": 2,
    "requirements_chars": 4,
    "intent_chars": 6,
    "parts_min": 2,
    "parts_max": 2,
    "part_title_chars": 4,
    "part_purpose_chars": 4,
    "materials_items": 1,
    "materials_chars": 4,
    "style_chars": 4,
    "self_check_items": 1,
    "self_check_chars": 4,
}

MODEL_ANSWER = {
    "requirements": ["议论文", "自拟标题", "不少于800字", "自拟标题"],
    "intent": "先练好本手，才能下出妙手",
    "structure": [
        {"title": "引出论点", "purpose": "由围棋术语引出", "chars": 100},
        {"title": "本手是基础", "purpose": "举例论证", "chars": 300},
        {"title": "本手是基础", "purpose": "重复的一项", "chars": 300},
        {"title": "妙手源于本手", "purpose": "正反对比", "chars": 200},
    ],
    "materials": ["聂卫平"],
    "style": "严谨",
    "self_check": ["不要空谈"],
}


@pytest.fixture
def prompts():
    return load_prompts(resources_dir(), "outline")


@pytest.fixture
def genre():
    return find_genre(load_genres(resources_dir()), "议论文")


def test_outline_prompt_has_system_genre_hints_and_the_exemplar(prompts, genre):
    ex = Exemplar("写一篇关于坚持的议论文", "## 立意\n坚持是成功之本\n" + "长" * 2000)
    msgs = outline_messages(prompts, QUERY, genre, 800, ex)
    assert msgs[0]["role"] == "system" and msgs[1]["role"] == "user"
    user = msgs[1]["content"]
    assert QUERY in user and genre.structure[0] in user and "800" in user
    assert "坚持是成功之本" in user and "长" * 700 not in user  # the exemplar is cut to its limit
    assert "参考范例" not in outline_messages(prompts, QUERY, genre, 800)[1]["content"]


def test_outline_from_the_model_answer_is_tidied_and_budgeted(prompts, genre):
    engine = ScriptedEngine([json.dumps(MODEL_ANSWER, ensure_ascii=False)])
    t = generate_outline(engine, prompts, QUERY, genre, GenerationParams(), target_chars=900)
    d = t.to_dict()
    assert d["requirements"] == ["议论文", "自拟标题", "不少于800字"]  # the repeat is gone
    assert [p["title"] for p in d["structure"]] == ["引出论点", "本手是基础", "妙手源于本手"]
    assert sum(p["chars"] for p in d["structure"]) == 900
    assert engine.requests[0][1].json_schema is not None
    assert t.missing_sections() == []


@pytest.mark.parametrize("query", ["", "   \n", "题" * 20000])
def test_empty_and_huge_prompts_are_refused_before_any_model_call(prompts, genre, query):
    engine = ScriptedEngine([])
    with pytest.raises(BadInputError, match="题目"):
        generate_outline(engine, prompts, query, genre, GenerationParams())
    assert engine.requests == []


def test_schema_failure_is_retried_then_a_clear_error(prompts, genre):
    engine = ScriptedEngine(['{"intent": 1}', "not json"])
    with pytest.raises(ModelError, match="无法使用"):
        generate_outline(engine, prompts, QUERY, genre, GenerationParams())
    assert len(engine.requests) == 2


def test_regenerating_one_section_keeps_every_other_byte(prompts, genre):
    md = (
        "# 我的构思\n老师批注：注意扣题\n\n## 审题\n- [x] 议论文\n\n## 立意\n本手为本\n\n"
        "## 结构\n1. 开头（约200字）：引题\n2. 结尾（约600字）：总结\n\n## 风格\n朴实\n"
    )
    thought = Thought.from_markdown(md)
    answer = {"intent": "先有本手，后有妙手；守正才能出奇"}
    engine = ScriptedEngine([json.dumps(answer, ensure_ascii=False)])
    out = regenerate_section(engine, prompts, QUERY, genre, thought, "intent", GenerationParams())
    assert out.section_text("intent") == answer["intent"]
    assert out.to_markdown().replace("先有本手，后有妙手；守正才能出奇", "本手为本") == md
    assert thought.section_text("intent") == "本手为本"  # the input is not changed
    schema = engine.requests[0][1].json_schema
    assert list(schema["properties"]) == ["intent"]
    assert "老师批注" in engine.requests[0][0][1]["content"]


def test_regenerating_an_unknown_section_is_refused(prompts, genre):
    with pytest.raises(BadInputError, match="未知的构思部分"):
        regenerate_section(ScriptedEngine([]), prompts, QUERY, genre, Thought(), "plot", GenerationParams())


def test_outline_through_the_real_llama_path(tiny_engine, prompts, genre):
    t = generate_outline(
        tiny_engine,
        prompts,
        QUERY,
        genre,
        GenerationParams(max_tokens=600, seed=3),
        schema=thought_schema(limits=TINY_LIMITS),
    )
    d = t.to_dict()
    assert 1 <= len(d["structure"]) <= 2 and d["intent"]
    assert Thought.from_markdown(t.to_markdown()).to_dict() == d
