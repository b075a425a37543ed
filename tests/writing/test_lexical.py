"""The lexical model: scikit-learn's TF-IDF + ridge computed in numpy, learned from marks, kept as
data with its version, explained by the essay's own clauses; a damaged file is one line."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from writer_app.errors import BadInputError
from writer_app.resources import resources_dir
from writer_app.writing.calibration import load_calibrations, spearman
from writer_app.writing.lexical import (
    LexicalModel,
    fit_counts,
    fit_lexical,
    load_lexical,
    ngram_counts,
    out_of_fold,
    save_lexical,
)

GOOD = list("春夏秋冬山水风月花鸟")
PLAIN = list("的了是在有我他这那就")


def corpus(n: int, seed: int = 0) -> tuple[list[str], list[float]]:
    """Essays whose score rises with the share of 'good' characters, plus noise characters."""
    rng = random.Random(seed)
    texts, shares = [], []
    for _ in range(n):
        q = rng.random()
        chars = [rng.choice(GOOD) if rng.random() < q else rng.choice(PLAIN) for _ in range(300)]
        text = "".join(chars)
        texts.append("，".join(text[i : i + 12] for i in range(0, len(text), 12)) + "。")
        shares.append(0.5 + 0.4 * q)
    return texts, shares


def test_counts_read_whitespace_as_one_space_and_drop_what_is_asked():
    c = ngram_counts("春风\n\n 又绿")
    assert c["春"] == 1 and c["风 "] == 1 and c[" 又"] == 1 and "\n" not in "".join(c)
    assert not any("风" in g for g in ngram_counts("春风又绿", drop="风"))


def test_it_matches_scikit_learns_tfidf_and_ridge():
    sk = pytest.importorskip("sklearn")  # a test dependency only; the app computes it in numpy
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import Ridge

    assert sk.__version__
    texts, shares = corpus(60)
    model = fit_counts([ngram_counts(t) for t in texts], shares, alpha=0.3)
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, min_df=2, lowercase=False)
    x = vec.fit_transform(texts).toarray()
    ridge = Ridge(alpha=0.3, solver="cholesky").fit(x, shares)
    new, _ = corpus(10, seed=1)
    want = ridge.predict(vec.transform(new).toarray())
    got = [model.predict(t) for t in new]
    assert np.allclose(got, want, atol=1e-8)
    assert set(model.ngrams) == set(vec.get_feature_names_out())


def test_it_learns_the_signal_and_a_shuffled_one_gives_nothing():
    texts, shares = corpus(120)
    counts = [ngram_counts(t) for t in texts]
    assert spearman(list(out_of_fold(counts, shares)), shares) > 0.8
    shuffled = random.Random(3).sample(shares, len(shares))
    assert abs(spearman(list(out_of_fold(counts, shuffled)), shuffled)) < 0.3
    high, low = fit_counts(counts, shares).strongest(5)
    assert all(set(g) <= set(GOOD) for g, _ in high)  # pairs of good characters weigh most
    assert all(set(g) & set(PLAIN) for g, _ in low)


def test_the_explanation_quotes_the_essays_own_clauses_and_adds_up():
    texts, shares = corpus(80)
    model = fit_lexical(texts, shares)
    essay = "春花秋月，山水之间风起了。我在这里，他就是那个的了。"
    ex = model.explain(essay)
    assert ex["raised"] and ex["lowered"]
    assert all(q["quote"] in essay for q in ex["raised"] + ex["lowered"])
    assert ex["raised"][0]["share"] > 0 > ex["lowered"][0]["share"]
    assert "春花秋月，" in [q["quote"] for q in ex["raised"]]
    assert ex["share"] == pytest.approx(model.predict(essay))


def test_saved_and_loaded_it_predicts_the_same_and_names_its_version(tmp_path: Path):
    texts, shares = corpus(40)
    model = fit_lexical(texts, shares, fitted_on="test")
    path = save_lexical(tmp_path, model)
    assert path.name == f"{model.version}.json" and len(model.version) == 16
    again = load_lexical(path)
    assert again.version == model.version and again.fitted_on == "test"
    assert again.predict(texts[0]) == pytest.approx(model.predict(texts[0]), abs=1e-12)
    other = fit_lexical(texts[:-1], shares[:-1])
    assert other.version != model.version


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda raw: "{not json", "无法读取"),
        (lambda raw: json.dumps({**raw, "format": 9}), "format"),
        (lambda raw: json.dumps({**raw, "weight": raw["weight"][:-1]}), "differ in length"),
        (lambda raw: json.dumps({**raw, "intercept": "nan"}), "not finite"),
        (lambda raw: json.dumps({k: v for k, v in raw.items() if k != "idf"}), "idf"),
    ],
)
def test_a_damaged_file_is_one_line(tmp_path: Path, damage, message):
    texts, shares = corpus(40)
    path = save_lexical(tmp_path, fit_lexical(texts, shares))
    path.write_text(damage(json.loads(path.read_text(encoding="utf-8"))), encoding="utf-8")
    with pytest.raises(BadInputError, match=message) as err:
        load_lexical(path)
    assert "\n" not in str(err.value)
    with pytest.raises(BadInputError, match="找不到"):
        load_lexical(tmp_path / "missing.json")


def test_too_few_essays_or_nothing_in_common_is_refused():
    with pytest.raises(BadInputError, match="至少需要 2"):
        fit_counts([Counter("春")], [0.5])
    with pytest.raises(BadInputError, match="共同"):
        fit_counts([Counter(["春"]), Counter(["夏"])], [0.5, 0.6])


def test_the_shipped_model_is_the_one_the_calibration_names():
    res = resources_dir()  # its load time is bench_critic's lexical_model_load_ms
    names = {c.lexical for c in load_calibrations(res / "rubrics" / "calibration.toml") if c.lexical}
    assert names, "the shipped calibration stacks a lexical model"
    for version in names:
        model = load_lexical(res / "rubrics" / "lexical" / f"{version}.json")
        assert model.version == version and model.n == 200


def test_from_dict_refuses_duplicate_ngrams():
    texts, shares = corpus(30)
    raw = fit_lexical(texts, shares).to_dict()
    raw["ngrams"][1] = raw["ngrams"][0]
    with pytest.raises(ValueError, match="twice"):
        LexicalModel.from_dict(raw)
