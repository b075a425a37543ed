"""Evidence rules on crafted texts: each kind found, quoted verbatim, and turned into points and caps."""

from pathlib import Path

import pytest

from writer_app.analysis.metrics import Analyzer
from writer_app.errors import BadInputError
from writer_app.resources import resources_dir
from writer_app.writing.evidence import (
    apply_evidence,
    drift,
    evidence_cap,
    evidence_points,
    evidence_suggestions,
    gather_evidence,
    load_evidence_rules,
)
from writer_app.writing.guards import load_guard_rules
from writer_app.writing.rubric import load_rubric

GOOD = [
    "外婆的菜园在老屋后面，篱笆上爬满了丝瓜藤。",
    "每年春天，她都会蹲在地里，一棵一棵地栽下辣椒苗。",
    "我常常提着小水壶跟在她身后，把水浇得到处都是。",
    "夏天的傍晚，菜园里飘着泥土和番茄叶子的气味。",
    "她教我分辨黄瓜的雌花和雄花，说只有雌花才会结瓜。",
    "后来我去城里读书，菜园只在电话里出现。",
]
BASKETBALL = [  # a second half about something else
    "篮球比赛进入最后一分钟，我们队还落后三分。",
    "教练叫了暂停，在战术板上画出挡拆配合的路线。",
    "中锋在篮下卡住位置，后卫运球突破到底线。",
    "终场哨响的时候，记分牌停在了六十比五十九。",
]


@pytest.fixture(scope="module")
def analyzer():
    return Analyzer(resources_dir())


@pytest.fixture
def rubric():
    return load_rubric(resources_dir(), "gaokao")


@pytest.fixture
def rules():
    return load_evidence_rules(resources_dir())


@pytest.fixture
def guards():
    return load_guard_rules(resources_dir())


def kinds(found):
    return {e.kind: e for e in found}


def test_a_clean_text_has_no_evidence(rubric, guards, rules, analyzer):
    assert gather_evidence("\n".join(GOOD), rubric, guards, rules, words=analyzer) == []


def test_five_repeated_sentences_cap_the_text_at_thirty(rubric, guards, rules):
    text = "\n".join(GOOD) + "\n" + "外婆的菜园在老屋后面，篱笆上爬满了丝瓜藤。" * 5
    ev = kinds(gather_evidence(text, rubric, guards, rules))["repeat"]
    assert ev.amount == 5 and ev.points == 3 and ev.dimension == "expression"  # two are free (a refrain)
    assert ev.caps == {"content": 15, "expression": 10, "development": 5}
    assert all(q in text for q in ev.quotes)
    assert evidence_cap(rubric, [ev]) == 30
    assert "近乎重复的句子 5 处" in ev.message(rubric) and "三等" in ev.message(rubric)


def test_copying_the_plan_is_counted_beyond_the_prompt(rubric, guards, rules):
    plan = "## 结构\n1. 开头：用外婆在菜园里栽辣椒苗的画面引出对外婆的思念之情"
    copied = "用外婆在菜园里栽辣椒苗的画面引出对外婆的思念之情。" + GOOD[1]
    ev = kinds(gather_evidence(copied, rubric, guards, rules, query="外婆的菜园", sources=[plan]))["copy"]
    assert ev.amount >= 0.2 and ev.caps["content"] == 10
    assert ev.quotes == ["用外婆在菜园里栽辣椒苗的画面引出对外婆的思念之情。"]
    # the same words given by the prompt are the writer's to use
    prompt = "用外婆在菜园里栽辣椒苗的画面引出对外婆的思念之情"
    assert "copy" not in kinds(gather_evidence(copied, rubric, guards, rules, query=prompt, sources=[plan]))


def test_assistant_talk_labels_and_loops_cost_expression(rubric, guards, rules):
    text = "\n".join(GOOD) + "\n以下是文章的结尾。\n【结尾】菜园还在。\n" + "哈哈哈哈" * 6
    found = kinds(gather_evidence(text, rubric, guards, rules))
    assert found["talk"].amount == 2 and found["talk"].points == 4
    assert found["loop"].amount >= 1 and found["loop"].caps["expression"] == 10
    assert evidence_points(list(found.values())) >= 7


def test_a_second_half_about_something_else_is_drift(rubric, guards, rules, analyzer):
    other = BASKETBALL
    text = "\n".join(GOOD[:4] + other)
    sim, where = drift(text, analyzer)
    assert sim < rules.kinds["drift"].below and where in other
    ev = kinds(gather_evidence(text, rubric, guards, rules, words=analyzer))["drift"]
    assert 0 < ev.amount <= 1 and ev.points >= 1 and ev.dimension == "content" and ev.quotes[0] in other
    kind = rules.kinds["drift"]
    # found at all, it costs the base; the deeper under the line, the more
    assert ev.points == min(kind.points_max, int(kind.points_base + kind.points_each * ev.amount))
    assert kind.points_base >= 1 and ev.points >= kind.points_base
    assert drift("\n".join(GOOD), analyzer)[0] > rules.kinds["drift"].below


def test_a_later_part_that_returns_to_the_title_is_not_drift(rubric, guards, rules, analyzer):
    other = BASKETBALL
    text = "\n".join(GOOD[:4] + other)
    assert rules.kinds["drift"].anchor_weight > 0

    def drift_of(title: str, query: str = "") -> list[str]:
        found = gather_evidence(text, rubric, guards, rules, words=analyzer, title=title, query=query)
        return [ev.kind for ev in found if ev.kind == "drift"]

    assert drift_of("外婆的菜园") == ["drift"]  # the basketball half has nothing to do with it
    found = gather_evidence(text, rubric, guards, rules, words=analyzer, title="外婆的菜园")
    assert "与前文和题目的用词相似度" in kinds(found)["drift"].message(rubric)
    assert drift_of("一场篮球比赛的记分牌") == []  # the later part is what the title names
    assert drift_of("", query="写一场篮球比赛的记分牌") == []  # the prompt counts as the title


def test_evidence_lowers_and_caps_the_dimensions(rubric, guards, rules):
    text = "\n".join(GOOD) + "\n" + "外婆的菜园在老屋后面，篱笆上爬满了丝瓜藤。" * 5
    found = gather_evidence(text, rubric, guards, rules)
    dims = [{"key": d.key, "name": d.name, "score": 19, "max": d.max} for d in rubric.dimensions]
    out = apply_evidence(rubric, dims, found)
    assert [d["score"] for d in out] == [15, 10, 5]  # 19 − 3 (repeats) − 3 (the loop), then the caps
    assert out[1]["before_evidence"] == 19 and "近乎重复" in out[1]["evidence"][0]
    sugg = evidence_suggestions(rubric, found)
    assert sugg and all(s["quote"] in text and s["dimension"] == "表达" for s in sugg)


def test_the_general_rubric_maps_the_roles(guards, rules):
    general = load_rubric(resources_dir(), "general")
    text = "\n".join(GOOD) + "\n" + "外婆的菜园在老屋后面，篱笆上爬满了丝瓜藤。" * 5
    ev = kinds(gather_evidence(text, general, guards, rules))["repeat"]
    assert ev.dimension == "language" and ev.caps == {"quality": 18, "language": 12, "creativity": 6}


def test_malformed_rules_are_one_line(tmp_path: Path):
    (tmp_path / "rubrics").mkdir()
    (tmp_path / "rubrics" / "evidence.toml").write_text('[kind.repeat]\nrole = "style"\n', encoding="utf-8")
    with pytest.raises(BadInputError, match="evidence.toml"):
        load_evidence_rules(tmp_path)
    with pytest.raises(BadInputError, match="not found"):
        load_evidence_rules(tmp_path / "nowhere")


def test_what_students_write_too_is_no_evidence(rubric, guards, rules, analyzer):
    """A letter's 您, an essay's 当然，, "中国有句古话：" and a refrain said twice are refused in a
    model's draft but are a student's own writing: the critique does not count them."""
    text = "\n".join(
        GOOD[:3]
        + ["敬爱的爸、妈：您们辛苦了。", "当然，菜园也有荒芜的时候。", "中国有句古话：民以食为天。"]
        + ["外婆老了，你长大了。", GOOD[3], "外婆老了，你长大了。"]
    )
    assert gather_evidence(text, rubric, guards, rules, words=analyzer) == []
    assert guards.talk("您们辛苦了。") and guards.label(
        "中国有句古话：民以食为天。"
    )  # the draft guard still refuses them
