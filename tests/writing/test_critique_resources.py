"""The critique's shared files: read once, the user's calibrations kept per model and rubric, an
unreadable file of one's own said in one line and replaced by the next calibration."""

from __future__ import annotations

from pathlib import Path

from writer_app.resources import resources_dir
from writer_app.writing.calibration import Calibration, load_calibrations
from writer_app.writing.critique_resources import CritiqueResources
from writer_app.writing.guards import load_guard_rules
from writer_app.writing.rubric import load_rubric


def _cal(model: str, rubric: str = "gaokao", intercept: float = 0.5) -> Calibration:
    return Calibration(model, rubric, ("words",), (0.0,), (1.0,), (0.0,), intercept, n=30)


def _resources(tmp_path: Path) -> CritiqueResources:
    res = resources_dir()
    return CritiqueResources(res, tmp_path / "calibration.toml", lambda: load_guard_rules(res))


def test_prepare_reads_every_file_once(tmp_path):
    cr = _resources(tmp_path)
    cr.prepare()
    assert cr.feature_model() is cr.feature_model()
    assert cr.evidence_rules() is cr.evidence_rules()
    own, notice = cr.calibrations()
    assert own and all(c.model == "" or c.model for c in own) and notice == ""


def test_keep_replaces_the_same_model_and_rubric_only(tmp_path):
    cr = _resources(tmp_path)
    cr.keep(_cal("a.gguf", intercept=0.1))
    cr.keep(_cal("b.gguf"))
    cr.keep(_cal("a.gguf", "general"))
    cr.keep(_cal("a.gguf", intercept=0.9))
    stored = {(c.model, c.rubric): c.intercept for c in load_calibrations(cr.calibration_file)}
    assert stored == {("a.gguf", "gaokao"): 0.9, ("b.gguf", "gaokao"): 0.5, ("a.gguf", "general"): 0.5}


def test_an_unreadable_file_of_ones_own_is_one_line_then_replaced(tmp_path):
    cr = _resources(tmp_path)
    cr.calibration_file.write_text("[[calibration]\nbroken", encoding="utf-8")
    calibrations, notice = cr.calibrations()
    assert "\n" not in notice and "内置校准" in notice
    shipped = load_calibrations(resources_dir() / "rubrics" / "calibration.toml")
    assert calibrations and calibrations == shipped  # the shipped ones only
    g = cr.grounding(load_rubric(resources_dir(), "gaokao"), "a.gguf", thought="  ")
    assert g.notice == notice and g.sources == () and g.calibration is not None
    cr.keep(_cal("a.gguf"))
    assert [c.model for c in load_calibrations(cr.calibration_file)] == ["a.gguf"]
    assert cr.grounding(load_rubric(resources_dir(), "gaokao"), "a.gguf", "构思").sources == ("构思",)


def test_keep_writes_the_lexical_model_first_and_removes_the_ones_no_calibration_names(tmp_path):
    from dataclasses import replace

    from writer_app.writing.lexical import fit_lexical

    cr = _resources(tmp_path)
    texts = ["春风又绿江南岸，明月何时照我还。", "的了是在有我他这那就是的了。", "山水之间，风月无边。"] * 4
    shares = [0.9, 0.5, 0.8] * 4
    first, second = fit_lexical(texts, shares), fit_lexical(texts[:-1], shares[:-1])
    cr.keep(replace(_cal("a.gguf"), lexical=first.version), first)
    folder = tmp_path / "lexical"
    assert (folder / f"{first.version}.json").is_file()
    cr.keep(replace(_cal("a.gguf"), lexical=second.version), second)  # supersedes the first
    assert sorted(p.stem for p in folder.glob("*.json")) == [second.version]
    fresh = _resources(tmp_path)  # another run finds it on disk
    g = fresh.grounding(load_rubric(resources_dir(), "gaokao"), "a.gguf")
    assert g.calibration.lexical == second.version and g.lexical.version == second.version
    (folder / f"{second.version}.json").write_text("{torn", encoding="utf-8")
    g = _resources(tmp_path).grounding(load_rubric(resources_dir(), "gaokao"), "a.gguf")
    assert "词汇模型" in g.notice and "内置校准" in g.notice  # one line, then the built-in calibration
    assert g.calibration is not None and g.calibration.model == "" and g.lexical is not None


def test_the_shipped_calibration_comes_with_its_lexical_model(tmp_path):
    cr = _resources(tmp_path)
    cr.prepare()
    g = cr.grounding(load_rubric(resources_dir(), "gaokao"), "")
    assert g.calibration is not None and g.lexical is not None and g.lexical.version == g.calibration.lexical
