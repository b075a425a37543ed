import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scripted_engine import ScriptedEngine

from writer_app.analysis.metrics import Analyzer
from writer_app.errors import BadInputError
from writer_app.llm.engine import GenerationParams
from writer_app.resources import resources_dir
from writer_app.writing.critique import (
    Grounding,
    apportion,
    critique,
    dimension_schema,
    load_feature_model,
)
from writer_app.writing.evidence import load_evidence_rules
from writer_app.writing.guards import load_guard_rules
from writer_app.writing.prompts import load_prompts
from writer_app.writing.rubric import load_rubric

PARA = "清晨的操场上，我一圈又一圈地奔跑。汗水湿透了衣背，可我知道，坚持才能看见远方。"
ESSAY = "坚持的意义\n" + "\n".join([PARA] * 10)  # ~400 characters with a title


@pytest.fixture(scope="module")
def analyzer():
    return Analyzer(resources_dir())


@pytest.fixture
def rubric():
    return load_rubric(resources_dir(), "gaokao")


@pytest.fixture
def prompts():
    """mode = score: these tests script reason → score answers (band mode has its own test)."""
    import dataclasses

    p = load_prompts(resources_dir(), "critique")
    return dataclasses.replace(p, limits={**p.limits, "mode": "score"})


@pytest.fixture
def grounding():
    return Grounding(load_guard_rules(resources_dir()), load_evidence_rules(resources_dir()))


@pytest.fixture
def features():
    return load_feature_model(resources_dir())


def answer(score, quote="汗水湿透了衣背", **extra):
    s = {"quote": quote, "issue": "描写平淡", "fix": "加入细节"}
    return json.dumps(
        {"reason": "中心明确，但内容单薄，", "score": score, "suggestions": [s], **extra}, ensure_ascii=False
    )


def test_the_model_judges_each_dimension_and_deductions_are_computed(analyzer, rubric, prompts, features):
    engine = ScriptedEngine(
        [answer(12), answer(11, quote="汗水湿透了衣服，可我知道"), answer(9, quote="这句话原文里没有出现过")]
    )
    r = critique(
        ESSAY, rubric, analyzer, engine=engine, prompts=prompts, params=GenerationParams(), features=features
    )
    d = r.to_dict()
    assert [x.get("unscaled", x["score"]) for x in d["dimensions"]] == [12, 11, 9]  # the model's verdict
    assert d["max_total"] == 60 and d["source"] == "model" and d["title"] == "坚持的意义"
    # 400-ish characters: 8 points short per 50, and the total is capped at 20 under 400
    assert any("字数不足" in x["rule"] for x in d["deductions"])
    assert any("不足400字" in x["rule"] for x in d["deductions"])
    assert d["total"] == 20  # 32 − 9 = 23, over the cap
    # one total: the dimensions are scaled to 20 + 9 = 29, in proportion, to whole points
    assert [x["score"] for x in d["dimensions"]] == [11, 10, 8] and d["scaled"]
    assert "各项原共 32 分，已等比例调整为 29 分（取整），使各项加扣分等于总分 20" in d["score_text"]
    quotes = [s["quote"] for s in d["suggestions"]]
    assert quotes[0] == "汗水湿透了衣背"
    assert quotes[1] == "汗水湿透了衣背，可我知道，坚持才能看见远方。"  # repaired to the sentence it meant
    assert "这句话原文里没有出现过" not in quotes  # the invented quote is dropped, never shown
    assert len(quotes) >= 3  # the computed ones follow the model's
    assert all(q in ESSAY for q in quotes)
    # the answers are asked for as compact JSON, written by jump-forward (resources: json_compact)
    assert prompts.limit("json_compact") is True
    assert all(p.json_compact and p.json_schema for _, p in engine.requests)
    assert d["dimensions"][0]["reason"] == "中心明确，但内容单薄。"  # a cut-off reason ends as a sentence
    assert "内容 11/20" in d["score_text"] and "扣分" in d["score_text"]
    assert d["estimate"]["total"] >= 0 and len(d["estimate"]["dimensions"]) == 3
    assert set(d) >= {
        "total",
        "max_total",
        "dimensions",
        "deductions",
        "suggestions",
        "metrics",
        "score_text",
    }
    assert set(d["metrics"]) >= {"chars", "ttr", "mattr", "idioms", "keywords", "gaokao_length_ok"}


def test_every_dimension_shares_the_essay_prefix_and_asks_last(analyzer, rubric, prompts):
    engine = ScriptedEngine([answer(10)] * 3)
    critique(ESSAY, rubric, analyzer, engine=engine, prompts=prompts, query="以坚持为题写作")
    users = [m[-1]["content"] for m, _ in engine.requests]
    prefix = users[0][: users[0].index("【文章结束】")]
    assert ESSAY.split("\n")[1] in prefix and "以坚持为题写作" in prefix
    assert all(u.startswith(prefix) for u in users)
    assert ["内容" in users[0], "表达" in users[1], "发展" in users[2]] == [True, True, True]
    assert all(p.temperature == prompts.limit("temperature") for _, p in engine.requests)


def test_scores_are_bounded_by_the_schema(rubric, prompts):
    schema = dimension_schema(rubric.dimensions[0], prompts)
    assert schema["properties"]["score"]["enum"] == list(range(21))
    assert schema["properties"]["suggestions"]["maxItems"] == 5


def test_analysis_only_estimate_explains_itself_and_flags_loops(analyzer, rubric, features, grounding):
    plain = critique(ESSAY, rubric, analyzer, features=features, grounding=grounding)
    looped = critique(
        ESSAY.replace(PARA, PARA + "我跑啊跑。" * 8, 1),
        rubric,
        analyzer,
        features=features,
        grounding=grounding,
    )
    assert plain.source == "analysis" and all("文本特征估计" in d["reason"] for d in plain.dimensions)
    assert looped.dimensions[1]["score"] < plain.dimensions[1]["score"]
    assert any(s["issue"] == "同一内容接连重复" for s in looped.suggestions)
    looped_text = ESSAY.replace(PARA, PARA + "我跑啊跑。" * 8, 1)
    assert all(s["quote"] in looped_text for s in looped.suggestions)


def test_general_genres_use_the_general_rubric(analyzer, features):
    general = load_rubric(resources_dir(), "general")
    r = critique(ESSAY, general, analyzer, features=features, target_chars=300)
    assert r.rubric.max_total == 100 and [d["key"] for d in r.dimensions] == [
        d.key for d in general.dimensions
    ]


@pytest.mark.parametrize(
    ("essay", "message"),
    [
        ("", "为空"),
        ("   \n\n", "为空"),
        ("My Summer Holiday\nThis summer I went to the sea with my family. " * 5, "没有中文"),
        ("长" * 7000, "太长"),
    ],
)
def test_unusable_essays_get_a_clear_message(analyzer, rubric, features, essay, message):
    with pytest.raises(BadInputError, match=message):
        critique(essay, rubric, analyzer, features=features)


def test_critique_through_the_real_llama_path_reuses_the_essay_prefix(tiny_engine, analyzer, rubric, prompts):
    import dataclasses

    small = dataclasses.replace(
        prompts,
        limits={
            **prompts.limits,
            "reason_chars": 4,
            "quote_chars": 4,
            "issue_chars": 4,
            "fix_chars": 4,
            "max_suggestions": 1,
        },
    )
    r = critique(ESSAY, rubric, analyzer, engine=tiny_engine, prompts=small, params=GenerationParams(seed=1))
    assert r.source == "model" and len(r.dimensions) == 3
    assert all(0 <= d["score"] <= d["max"] for d in r.dimensions)
    assert all(s["quote"] in ESSAY for s in r.suggestions)
    later = r.stats[1:]
    # the essay is processed once: later dimensions only evaluate their own question
    assert all(s["prompt_tokens_cached"] > 0.6 * s["prompt_tokens"] for s in later), r.stats


def test_scores_only_keeps_the_prompt_and_asks_for_no_suggestions(analyzer, rubric, prompts):
    full, quick = (
        ScriptedEngine([answer(10)] * 3),
        ScriptedEngine([json.dumps({"reason": "好。", "score": 10, "suggestions": []})] * 3),
    )
    critique(ESSAY, rubric, analyzer, engine=full, prompts=prompts)
    r = critique(ESSAY, rubric, analyzer, engine=quick, prompts=prompts, suggestions=False)
    assert [m for m, _ in full.requests] == [m for m, _ in quick.requests]
    assert all(p.json_schema["properties"]["suggestions"]["maxItems"] == 0 for _, p in quick.requests)
    assert [d.get("unscaled", d["score"]) for d in r.dimensions] == [10, 10, 10]


def test_band_mode_lists_reasons_first_and_the_points_follow_them(analyzer, rubric, prompts, features):
    import dataclasses

    banded = dataclasses.replace(prompts, limits={**prompts.limits, "mode": "band"})
    assert load_prompts(resources_dir(), "critique").limit("mode") == "band"  # the shipped default
    answers = [
        json.dumps(
            {"strengths": ["切题"], "problems": [], "band": "一等", "suggestions": []}, ensure_ascii=False
        ),
        json.dumps(
            {"strengths": ["通顺"], "problems": ["句式单一", "重复"], "band": "一等", "suggestions": []},
            ensure_ascii=False,
        ),
        json.dumps(
            {"strengths": [], "problems": ["缺少深度"], "band": "三等", "suggestions": []}, ensure_ascii=False
        ),
    ]
    engine = ScriptedEngine(answers)
    r = critique(
        ESSAY, rubric, analyzer, engine=engine, prompts=banded, params=GenerationParams(), features=features
    )
    # problems keep 表达 off the top of 一等 (the dimensions are then scaled to the capped total)
    assert [d.get("unscaled", d["score"]) for d in r.dimensions] == [20, 18, 9]
    assert r.dimensions[1]["band"] == "一等" and r.dimensions[1]["problems"] == ["句式单一", "重复"]
    assert r.dimensions[1]["reason"] == "优点：通顺；问题：句式单一，重复"
    assert r.mode == "band" and "先列出" in engine.requests[0][0][-1]["content"]
    schema_enum = ["一等", "二等", "三等", "四等"]
    assert all(schema_enum[0] in m[-1]["content"] for m, _ in engine.requests)


@pytest.mark.parametrize("mode", ["band", "score"])
def test_everything_but_the_dimension_comes_before_the_essay(analyzer, rubric, prompts, mode):
    """A class's essays share the whole prompt up to the essay (every dimension's points and
    bands, how to answer), and an essay's three requests differ only in a short last line:
    prefix reuse then processes the rubric once per class and the essay once per essay."""
    import dataclasses

    asked = dataclasses.replace(prompts, limits={**prompts.limits, "mode": mode})
    reply = (
        json.dumps({"strengths": [], "problems": [], "band": "二等", "suggestions": []})
        if mode == "band"
        else answer(12)
    )
    engine = ScriptedEngine([reply] * 6)
    for essay in (ESSAY, "另一篇\n" + PARA * 3):
        critique(essay, rubric, analyzer, engine=engine, prompts=asked, query="坚持")
    users = [m[-1]["content"] for m, _ in engine.requests]
    systems = {m[0]["content"] for m, _ in engine.requests}
    heads = {u[: u.index("【学生文章】")] for u in users}
    assert len(systems) == 1 and len(heads) == 1  # the same for every essay and dimension
    head = heads.pop()
    assert all(c in head for d in rubric.dimensions for c in (d.name, *d.criteria))
    assert "一等" in head and "JSON" in head
    tails = [u[u.index("【文章结束】") :] for u in users]
    assert [d.name in t for t, d in zip(tails, [*rubric.dimensions] * 2, strict=True)] == [True] * 6
    assert all(len(t) < 60 for t in tails), tails  # only the dimension's own short line is new


# --------------------------------------------------------------------------------------------
# one total, and the lexical signal explained
# --------------------------------------------------------------------------------------------
@given(
    scores=st.lists(st.integers(0, 20), min_size=1, max_size=5),
    data=st.data(),
)
def test_apportion_shares_out_exactly_the_target_within_bounds(scores, data):
    bounds = [data.draw(st.integers(s, 20)) for s in scores]
    target = data.draw(st.integers(0, sum(bounds)))
    out = apportion(scores, bounds, target)
    assert sum(out) == target
    assert all(0 <= v <= b for v, b in zip(out, bounds, strict=True))
    if sum(scores) and target <= sum(scores):  # shrinking keeps the order of the dimensions
        assert all(
            out[i] <= out[j] + 1 for i in range(len(out)) for j in range(len(out)) if scores[i] <= scores[j]
        )


def _shipped_grounding(thought: str = "") -> Grounding:
    from writer_app.writing.critique_resources import CritiqueResources

    res = resources_dir()
    cr = CritiqueResources(res, res / "no-such-calibration.toml", lambda: load_guard_rules(res))
    return cr.grounding(load_rubric(res, "gaokao"), "", thought)


STORY = "\n".join(
    [
        "那年冬天",
        "那年冬天，外婆的菜园落满了雪。我趴在窗台上，看她披着旧棉袄，一锹一锹地把雪铲到篱笆边。",
        "“雪底下有白菜，”她回头笑着说，“冻过的白菜才甜。”我不信，偷偷跑出去扒开雪，冻得直跺脚。",
        "晚饭时，一碗白菜豆腐汤端上桌，汤色清亮，白菜果然甜得出奇。外婆看着我，眼角的皱纹里都是笑。",
        "后来我去城里读书，菜园只在电话里出现。每到下雪，我总会想起那碗汤，想起雪地里弯着腰的外婆。",
    ]
    * 2
)


def test_the_shipped_calibration_gives_one_total_and_explains_its_lexical_part(analyzer, rubric, features):
    g = _shipped_grounding()
    assert g.lexical is not None and g.calibration is not None and g.lexical.version == g.calibration.lexical
    r = critique(STORY, rubric, analyzer, features=features, grounding=g)
    assert r.total == sum(d["score"] for d in r.dimensions) + r.deductions.points
    lex = r.calibration["lexical"]
    assert lex["version"] == g.lexical.version and 0 <= lex["weight"] <= 1
    assert all(q["quote"] in STORY for q in lex["raised"] + lex["lowered"])
    assert set(r.calibration["parts"]) == {"text", "lexical"}
    text = r.score_text
    assert "用字用词" in text and "校准：" in text
    data = r.to_dict()
    assert data["calibration"]["lexical"]["points"] == lex["points"] and "scaled" in data


def test_a_calibration_whose_lexical_model_is_missing_is_not_used_and_says_why(analyzer, rubric, features):
    from dataclasses import replace

    g = replace(_shipped_grounding(), lexical=None)
    r = critique(STORY, rubric, analyzer, features=features, grounding=g)
    assert r.calibration is None and any("词汇模型" in w for w in r.warnings)
    assert r.total == sum(d["score"] for d in r.dimensions) + r.deductions.points


def test_a_short_capped_essay_still_adds_up(analyzer, rubric, features):
    short = "雪\n" + "外婆在雪地里铲雪，我在窗边看着她。" * 6  # under 200 characters: capped
    for g in (
        _shipped_grounding(),
        Grounding(load_guard_rules(resources_dir()), load_evidence_rules(resources_dir())),
    ):
        r = critique(short, rubric, analyzer, features=features, grounding=g)
        assert r.deductions.cap is not None and r.total <= r.deductions.cap
        assert r.total == sum(d["score"] for d in r.dimensions) + r.deductions.points
        assert all(0 <= d["score"] <= d["max"] for d in r.dimensions)
