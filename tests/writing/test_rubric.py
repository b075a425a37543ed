import pytest

from writer_app.errors import BadInputError
from writer_app.resources import resources_dir
from writer_app.writing.rubric import (
    compute_deductions,
    final_total,
    load_rubric,
    repair_quote,
    score_text,
    split_title,
)


@pytest.fixture(scope="module")
def gaokao():
    return load_rubric(resources_dir(), "gaokao")


def test_gaokao_rubric_is_40_plus_20(gaokao):
    assert gaokao.max_total == 60
    assert [(d.name, d.max) for d in gaokao.dimensions] == [("内容", 20), ("表达", 20), ("发展", 20)]
    assert [d.block for d in gaokao.dimensions] == ["基础等级", "基础等级", "发展等级"]
    assert "书写规范、标点正确" in gaokao.dimensions[1].criteria
    assert [gaokao.tier_for(s) for s in (20, 16, 15, 11, 10, 6, 5, 0)] == [
        "一等",
        "一等",
        "二等",
        "二等",
        "三等",
        "三等",
        "四等",
        "四等",
    ]


def test_general_rubric_loads_and_unknown_is_clear():
    general = load_rubric(resources_dir(), "general")
    assert general.max_total == sum(d.max for d in general.dimensions)
    with pytest.raises(BadInputError):
        load_rubric(resources_dir(), "nope")


def test_title_detection():
    assert split_title("坚持\n正文第一段。")[0] == "坚持"
    assert split_title("《那一次》\n正文。")[0] == "那一次"
    assert split_title("我今天很开心。\n第二段。")[0] == ""
    assert split_title("只有一行")[0] == ""


def test_missing_title_and_short_essay_deductions(gaokao):
    body = "好" * 700
    d = compute_deductions(gaokao, body, 800)
    assert {"rule": "缺少标题 (missing title)", "points": -2} in d.items
    assert any(i["points"] == -2 and "字数不足" in i["rule"] for i in d.items)  # 100 short → −2
    assert d.points == -4 and d.cap is None
    assert compute_deductions(gaokao, "标题\n" + "好" * 750, 800).points == -1  # 50 short: −1
    assert (
        compute_deductions(gaokao, "标题\n" + "好" * 749, 800).points == -2
    )  # 51 short: each started 50 counts
    assert compute_deductions(gaokao, "标题\n" + "好" * 800, 800).items == []


def test_length_caps(gaokao):
    d300 = compute_deductions(gaokao, "标题\n" + "好" * 300, 800)
    assert d300.cap == 20 and final_total(gaokao, [18, 18, 15], d300) == 20
    d150 = compute_deductions(gaokao, "标题\n" + "好" * 150, 800)
    assert d150.cap == 10 and final_total(gaokao, [18, 18, 15], d150) == 10
    full = compute_deductions(gaokao, "标题\n" + "好" * 900, 800)
    assert final_total(gaokao, [18, 17, 14], full) == 49


ESSAY = "坚持\n清晨，薄雾还没有散去。卖豆浆的老人掀开锅盖，白色的热气涌了出来。\n我背着书包从巷口走过。"


@pytest.mark.parametrize(
    "quote,expected",
    [
        ("卖豆浆的老人掀开锅盖", "卖豆浆的老人掀开锅盖"),  # verbatim
        ("“白色的热气涌了出来”", "白色的热气涌了出来"),  # quotation marks stripped
        (
            "卖豆浆的老人揭开了锅盖，白色热气涌出来",
            "卖豆浆的老人掀开锅盖，白色的热气涌了出来。",
        ),  # paraphrase → its sentence
        ("我 背着 书包", "我背着书包从巷口走过。"),  # spacing differences
        ("月亮升起来了，星星眨眼睛", None),  # not in the text at all: dropped
        ("", None),
    ],
)
def test_quotes_are_verbatim_repaired_or_dropped(quote, expected):
    got = repair_quote(quote, ESSAY)
    assert got == expected
    assert got is None or got in ESSAY


def test_score_text_is_multiline_and_names_every_part(gaokao):
    d = compute_deductions(gaokao, "好" * 700, 800)
    dims = [
        {"name": "内容", "score": 16, "max": 20, "reason": "切题"},
        {"name": "表达", "score": 14, "max": 20, "reason": ""},
        {"name": "发展", "score": 10, "max": 20, "reason": "平淡"},
    ]
    text = score_text(gaokao, final_total(gaokao, [16, 14, 10], d), dims, d)
    lines = text.splitlines()
    assert lines[0].startswith("总分：36/60")
    assert "内容 16/20，一等：切题" in lines and "表达 14/20，二等" in lines
    assert any(line.startswith("扣分：缺少标题") for line in lines)
