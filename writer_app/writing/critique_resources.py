"""What every critique reads besides the essay and the model, loaded once and shared.

A critique is grounded in computed evidence and calibrated against teachers (see
:mod:`writer_app.writing.critique`): it needs the evidence rules, the guards' rules (one definition
of a repeat, shared with the drafts), the analysis-only feature model, the calibrations and the lexical models they stack. A
class's batch critiques 45 essays from several threads, so each file is read once, before the
threads start (:meth:`CritiqueResources.prepare`); only the user's own calibration file is read
on every critique, because ``calibrate`` may have just rewritten it. The Workbench owns one of
these; no front end builds the pieces itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from writer_app.errors import WriterAppError

if TYPE_CHECKING:
    from writer_app.writing.calibration import Calibration
    from writer_app.writing.critique import FeatureModel, Grounding
    from writer_app.writing.evidence import EvidenceRules
    from writer_app.writing.guards import GuardRules
    from writer_app.writing.lexical import LexicalModel
    from writer_app.writing.rubric import Rubric


@dataclass
class CritiqueResources:
    """The critique's rules, feature model and calibrations. ``resources``: the app's
    ``resources/`` folder; ``calibration_file``: the user's own calibrations (``calibrate``);
    ``guard_rules``: the guards' rules as the drafts use them (one copy for both)."""

    resources: Path
    calibration_file: Path
    guard_rules: Callable[[], GuardRules]
    _features: FeatureModel | None = None
    _evidence_rules: EvidenceRules | None = None
    _shipped: list[Calibration] | None = None
    _lexical: dict[str, LexicalModel] = field(default_factory=dict)

    def prepare(self) -> None:
        """Read every file a critique reads, now (before a batch's threads share the caches)."""
        self.guard_rules()
        self.evidence_rules()
        self.feature_model()
        for c in self.calibrations()[0]:
            self.lexical_model(c.lexical)

    @property
    def lexical_folders(self) -> tuple[Path, Path]:
        """Where lexical models are kept: the user's own (``calibrate``), then the shipped ones."""
        return self.calibration_file.parent / "lexical", self.resources / "rubrics" / "lexical"

    def lexical_model(self, version: str) -> LexicalModel | None:
        """The lexical model of this version (None for "" or where it cannot be read: the
        critique then says the calibration does not match, and does not use it)."""
        from writer_app.writing.lexical import load_lexical

        if not version:
            return None
        if version not in self._lexical:
            path = next(
                (f / f"{version}.json" for f in self.lexical_folders if (f / f"{version}.json").is_file()),
                None,
            )
            if path is None:
                return None
            try:
                model = load_lexical(path)
            except WriterAppError:
                return None
            if model.version != version:  # a file edited by hand, or torn
                return None
            self._lexical[version] = model
        return self._lexical[version]

    def feature_model(self) -> FeatureModel:
        """The analysis-only estimate's linear model."""
        from writer_app.writing.critique import load_feature_model

        if self._features is None:
            self._features = load_feature_model(self.resources)
        return self._features

    def evidence_rules(self) -> EvidenceRules:
        from writer_app.writing.evidence import load_evidence_rules

        if self._evidence_rules is None:
            self._evidence_rules = load_evidence_rules(self.resources)
        return self._evidence_rules

    def calibrations(self) -> tuple[list[Calibration], str]:
        """(the user's calibrations, then the shipped ones; a one-line notice where the user's
        file could not be read: it is then ignored, and the shipped calibration is used)."""
        from writer_app.writing.calibration import load_calibrations

        notice = ""
        try:
            own = load_calibrations(self.calibration_file)
        except WriterAppError as exc:
            own, notice = [], f"{exc}；改用内置校准 (using the built-in calibration)"
        if self._shipped is None:  # the app's own file is read once; the user's may change
            self._shipped = load_calibrations(self.resources / "rubrics" / "calibration.toml")
        return own + self._shipped, notice

    def keep(self, calibration: Calibration, lexical: LexicalModel | None = None) -> None:
        """Store ``calibration`` as the user's own for its model and rubric, replacing the one
        it supersedes (an unreadable file of one's own is replaced by the new calibration), and
        the lexical model it stacks. The lexical model is written first: a calibration on disk
        never names a model that is not there. Lexical models no calibration names are removed."""
        from writer_app.writing.calibration import load_calibrations, save_calibrations
        from writer_app.writing.lexical import save_lexical

        try:
            own = load_calibrations(self.calibration_file)
        except WriterAppError:
            own = []
        folder = self.lexical_folders[0]
        if lexical is not None:
            save_lexical(folder, lexical)
            self._lexical[lexical.version] = lexical
        same = (calibration.rubric, calibration.model)
        kept = [calibration, *(c for c in own if (c.rubric, c.model) != same)]
        save_calibrations(self.calibration_file, kept)
        named = {c.lexical for c in kept}
        for old in folder.glob("*.json") if folder.is_dir() else []:
            if old.stem not in named:
                old.unlink(missing_ok=True)

    def grounding(self, rubric: Rubric, model: str, thought: str = "") -> Grounding:
        """What a critique computes beside the model: evidence rules, the 构思 a copy is counted
        from, and the calibration for this rubric and model."""
        from writer_app.writing.calibration import choose
        from writer_app.writing.critique import Grounding

        calibrations, notice = self.calibrations()
        calibration = choose(calibrations, rubric.name, model)
        if (
            calibration is not None
            and calibration.lexical
            and self.lexical_model(calibration.lexical) is None
        ):
            shipped = self._shipped or []
            if calibration not in shipped:  # one's own, its lexical model lost: the built-in one
                notice = (
                    f"校准所用的词汇模型 {calibration.lexical} 找不到或已损坏；改用内置校准 "
                    "(the calibration's lexical model is missing or damaged; using the built-in calibration)"
                )
                calibration = choose(shipped, rubric.name, model)
        return Grounding(
            guard_rules=self.guard_rules(),
            evidence_rules=self.evidence_rules(),
            sources=(thought,) if thought.strip() else (),
            calibration=calibration,
            notice=notice,
            lexical=self.lexical_model(calibration.lexical) if calibration is not None else None,
        )
