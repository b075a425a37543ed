"""Calibration: fit, save, load, choose; a corrupt or mismatched file is one line and is not used."""

import json
import random
from pathlib import Path

import numpy as np
import pytest
from scripted_engine import ScriptedEngine

from writer_app.analysis.metrics import Analyzer
from writer_app.errors import BadInputError
from writer_app.llm.engine import GenerationParams
from writer_app.resources import resources_dir
from writer_app.writing.calibration import (
    LEXICAL,
    Calibration,
    choose,
    curve_sizes,
    fit,
    fit_stacked,
    load_calibrations,
    save_calibrations,
    spearman,
    stack,
)
from writer_app.writing.critique import Grounding, band_points, critique, load_feature_model
from writer_app.writing.evidence import load_evidence_rules
from writer_app.writing.guards import load_guard_rules
from writer_app.writing.prompts import load_prompts
from writer_app.writing.rubric import load_rubric

ESSAY = "菜园\n" + "\n".join(
    [
        "外婆的菜园在老屋后面，篱笆上爬满了丝瓜藤。每年春天，她都会蹲在地里栽下辣椒苗。",
        "我常常提着小水壶跟在她身后，把水浇得到处都是。夏天的傍晚，菜园里飘着泥土的气味。",
        "她教我分辨黄瓜的雌花和雄花，说只有雌花才会结瓜。后来我去城里读书，菜园只在电话里出现。",
    ]
    * 4
)


def rows(n, seed=0):
    rng = random.Random(seed)
    out, y = [], []
    for _ in range(n):
        a, b = rng.random(), rng.random()
        out.append({"length_ratio": a, "model_content": b})
        y.append(0.5 + 0.3 * a + rng.gauss(0, 0.02))  # the model's signal is noise
    return out, y


def test_a_fit_finds_the_signal_and_gives_noise_little_weight():
    x, y = rows(120)
    cal = fit(x, y, rubric="gaokao", model="demo", alpha=1.0)
    w = dict(zip(cal.signals, cal.weights, strict=True))
    assert w["length_ratio"] > 0.05 and abs(w["model_content"]) < 0.01
    assert cal.agreement["spearman_cv"] > 0.8 and cal.n == 120
    assert not cal.uses_model  # its signal carries (next to) no weight
    assert spearman([cal.predict(r) for r in x], y) > 0.9


def test_fewer_than_thirty_essays_are_refused_with_the_reason():
    x, y = rows(29)
    with pytest.raises(BadInputError, match="至少需要 30"):
        fit(x, y, rubric="gaokao")


def test_a_value_that_is_not_a_number_is_refused():
    x, y = rows(40)
    x[3]["length_ratio"] = float("nan")
    with pytest.raises(BadInputError, match="finite"):
        fit(x, y, rubric="gaokao")


def test_save_load_and_choose(tmp_path: Path):
    x, y = rows(40)
    text_only = fit([{"length_ratio": r["length_ratio"]} for r in x], y, rubric="gaokao")
    with_model = fit(x, y, rubric="gaokao", model="demo")
    path = tmp_path / "calibration.toml"
    save_calibrations(path, [with_model, text_only])
    loaded = load_calibrations(path)
    assert [c.model for c in loaded] == ["demo", ""]
    assert loaded[0].predict(x[0]) == pytest.approx(with_model.predict(x[0]), abs=1e-4)
    assert choose(loaded, "gaokao", "demo").model == "demo"
    assert choose(loaded, "gaokao", "other").model == ""  # text-only for a model never calibrated
    assert choose(loaded, "general", "demo") is None
    assert load_calibrations(tmp_path / "none.toml") == []


@pytest.mark.parametrize(
    "content",
    [
        "not toml [",
        "[[calibration]]\nrubric = 1\n",
        '[[calibration]]\nrubric="gaokao"\nintercept="x"\nsignal=[]\n',
    ],
)
def test_a_corrupt_file_is_one_line(tmp_path: Path, content):
    path = tmp_path / "calibration.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BadInputError, match="calibration.toml") as err:
        load_calibrations(path)
    assert "\n" not in str(err.value)


def test_nan_in_a_file_is_refused(tmp_path: Path):
    path = tmp_path / "calibration.toml"
    path.write_text('[[calibration]]\nrubric = "gaokao"\nintercept = nan\nsignal = []\n', encoding="utf-8")
    with pytest.raises(BadInputError):
        load_calibrations(path)


def test_band_points_follow_the_problems_listed():
    rubric = load_rubric(resources_dir(), "gaokao")
    assert band_points(rubric, "一等", 0) == 20
    assert band_points(rubric, "一等", 2) == 18  # problems keep it off the top of the band
    assert band_points(rubric, "三等", 9) == 6  # never below the band
    with pytest.raises(BadInputError):
        band_points(rubric, "五等", 0)


@pytest.fixture(scope="module")
def analyzer():
    return Analyzer(resources_dir())


def _ground(cal):
    res = resources_dir()
    return Grounding(load_guard_rules(res), load_evidence_rules(res), calibration=cal)


def _answer(score):
    return json.dumps({"reason": "结构清楚。", "score": score, "suggestions": []}, ensure_ascii=False)


def test_a_model_without_weight_is_not_counted_and_the_critique_says_so(analyzer):
    res = resources_dir()
    rubric, features = load_rubric(res, "gaokao"), load_feature_model(res)
    shipped = load_prompts(res, "critique")
    prompts = type(shipped)(shipped.name, shipped.templates, {**shipped.limits, "mode": "score"})
    x, y = rows(60)
    cal = fit(x, y, rubric="gaokao", model="demo")
    high = critique(
        ESSAY,
        rubric,
        analyzer,
        engine=ScriptedEngine([_answer(20)] * 3),
        prompts=prompts,
        params=GenerationParams(),
        features=features,
        grounding=_ground(cal),
    )
    low = critique(
        ESSAY,
        rubric,
        analyzer,
        engine=ScriptedEngine([_answer(5)] * 3),
        prompts=prompts,
        params=GenerationParams(),
        features=features,
        grounding=_ground(cal),
    )
    assert high.total == low.total  # the model's points moved nothing
    assert high.dimension_total > low.dimension_total  # its verdict is still shown
    assert high.calibration["model_weight"] == 0 and "不计入总分" in high.calibration["note"]
    assert len(high.suggestions) >= 3


def test_a_mismatched_calibration_is_not_used_and_says_why(analyzer):
    res = resources_dir()
    rubric, features = load_rubric(res, "gaokao"), load_feature_model(res)
    odd = Calibration("", "gaokao", ("embedding_7",), (0.0,), (1.0,), (0.1,), 0.5)
    r = critique(ESSAY, rubric, analyzer, features=features, grounding=_ground(odd))
    assert r.calibration is None and r.total == r.dimension_total
    assert any("未使用校准" in w for w in r.warnings)


# --------------------------------------------------------------------------------------------
# the stack: text features, the lexical model, the model's scores
# --------------------------------------------------------------------------------------------
def stack_rows(n, seed=0, model_noise=True):
    rng = random.Random(seed)
    out, lex, y = [], [], []
    for _ in range(n):
        a, q, m = rng.random(), rng.random(), rng.random()
        share = 0.4 + 0.2 * a + 0.2 * q + (0 if model_noise else 0.2 * m) + rng.gauss(0, 0.02)
        row = {"length_ratio": a, "model_content": rng.random() if model_noise else m}
        out.append(row)
        lex.append(0.6 + 0.1 * q + rng.gauss(0, 0.01))  # what a lexical model would see
        y.append(share)
    return out, lex, y


def test_the_stack_is_one_linear_calibration_of_its_ingredients_mean():
    x, lex, y = stack_rows(100)
    cal = stack([{"length_ratio": r["length_ratio"]} for r in x], y, lex, rubric="gaokao", lexical="v1")
    assert cal.lexical == "v1" and set(cal.signals) == {"length_ratio", LEXICAL}
    w = dict(zip(cal.signals, cal.weights, strict=True))
    assert w[LEXICAL] > 0 and w["length_ratio"] > 0
    both = cal.agreement["spearman_cv"]
    assert both > cal.agreement["spearman_cv_text"] and both > cal.agreement["spearman_cv_lexical"]
    preds = [cal.predict(r | {LEXICAL: v}) for r, v in zip(x, lex, strict=True)]
    assert spearman(preds, y) > 0.9
    # equated: the totals spread as the teacher's do, not shrunk towards the mean
    assert np.std(preds) == pytest.approx(np.std(y), rel=0.25)


def test_the_models_scores_join_the_stack_only_where_they_help():
    x, lex, y = stack_rows(100, model_noise=True)
    noise = stack(x, y, lex, rubric="gaokao", model="demo")
    assert not noise.uses_model and "spearman_cv_with_model" in noise.agreement
    x, lex, y = stack_rows(100, seed=1, model_noise=False)
    useful = stack(x, y, lex, rubric="gaokao", model="demo")
    assert useful.uses_model
    assert useful.agreement["spearman_cv_with_model"] > useful.agreement["spearman_cv_without_model"]


def test_a_stack_is_saved_with_its_lexical_version_and_curve(tmp_path: Path):
    x, lex, y = stack_rows(40)
    cal = stack(x, y, lex, rubric="gaokao", lexical="abc")
    from dataclasses import replace

    cal = replace(cal, curve=((30, 0.41), (32, 0.5)))
    save_calibrations(tmp_path / "c.toml", [cal])
    (back,) = load_calibrations(tmp_path / "c.toml")
    assert back.lexical == "abc" and back.curve == ((30, 0.41), (32, 0.5))
    assert back.predict(x[0] | {LEXICAL: lex[0]}) == pytest.approx(
        cal.predict(x[0] | {LEXICAL: lex[0]}), abs=1e-4
    )


def test_fit_stacked_learns_the_words_and_reports_the_curve():
    rng = random.Random(5)
    good, plain = "春夏秋冬山水风月花鸟", "的了是在有我他这那就"
    texts, rows_, shares = [], [], []
    for _ in range(70):
        q = rng.random()
        texts.append("".join(rng.choice(good) if rng.random() < q else rng.choice(plain) for _ in range(200)))
        rows_.append({"length_ratio": rng.random()})
        shares.append(0.5 + 0.4 * q)
    steps = []
    cal, lexical = fit_stacked(
        texts, rows_, shares, rubric="gaokao", on_step=lambda i, n, w: steps.append((i, n))
    )
    assert cal.lexical == lexical.version and lexical.n == 70
    assert [m for m, _ in cal.curve] == curve_sizes(70) == [30, 56]
    assert all(r > 0.5 for _, r in cal.curve) and cal.agreement["spearman_cv_lexical"] > 0.8
    assert steps[-1] == (4, 4)
    assert curve_sizes(36) == [] and curve_sizes(40) == [32] and curve_sizes(300) == [30, 60, 100, 200, 240]
