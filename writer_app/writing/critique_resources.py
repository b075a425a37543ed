"""What every critique reads besides the essay and the model, loaded once and shared.

A critique is grounded in computed evidence and calibrated against teachers (see
:mod:`writer_app.writing.critique`): it needs the evidence rules, the guards' rules (one definition
of a repeat, shared with the drafts), the analysis-only feature model and the calibrations. A
class's batch critiques 45 essays from several threads, so each file is read once, before the
threads start (:meth:`CritiqueResources.prepare`); only the user's own calibration file is read
on every critique, because ``calibrate`` may have just rewritten it. The Workbench owns one of
these; no front end builds the pieces itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from writer_app.errors import WriterAppError

if TYPE_CHECKING:
    from writer_app.writing.calibration import Calibration
    from writer_app.writing.critique import FeatureModel, Grounding
    from writer_app.writing.evidence import EvidenceRules
    from writer_app.writing.guards import GuardRules
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

    def prepare(self) -> None:
        """Read every file a critique reads, now (before a batch's threads share the caches)."""
        self.guard_rules()
        self.evidence_rules()
        self.feature_model()
        self.calibrations()

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

    def keep(self, calibration: Calibration) -> None:
        """Store ``calibration`` as the user's own for its model and rubric, replacing the one
        it supersedes (an unreadable file of one's own is replaced by the new calibration)."""
        from writer_app.writing.calibration import load_calibrations, save_calibrations

        try:
            own = load_calibrations(self.calibration_file)
        except WriterAppError:
            own = []
        same = (calibration.rubric, calibration.model)
        save_calibrations(
            self.calibration_file, [calibration, *(c for c in own if (c.rubric, c.model) != same)]
        )

    def grounding(self, rubric: Rubric, model: str, thought: str = "") -> Grounding:
        """What a critique computes beside the model: evidence rules, the 构思 a copy is counted
        from, and the calibration for this rubric and model."""
        from writer_app.writing.calibration import choose
        from writer_app.writing.critique import Grounding

        calibrations, notice = self.calibrations()
        return Grounding(
            guard_rules=self.guard_rules(),
            evidence_rules=self.evidence_rules(),
            sources=(thought,) if thought.strip() else (),
            calibration=choose(calibrations, rubric.name, model),
            notice=notice,
        )
