"""The critique's text side in a helper process: the same result as in-process, and a batch
that outlives the helper."""

from __future__ import annotations

import os
import signal

import pytest

from writer_app.analysis.metrics import Analyzer
from writer_app.resources import resources_dir
from writer_app.writing.critique import Grounding, text_side
from writer_app.writing.evidence import load_evidence_rules
from writer_app.writing.guards import load_guard_rules
from writer_app.writing.rubric import load_rubric
from writer_app.writing.textside import TextSideProcess

PARA = "清晨的操场上，我一圈又一圈地奔跑。汗水湿透了衣背，可我知道，坚持才能看见远方。"
PLAN = "结构：开头写奔跑，结尾点题：我终于明白了坚持是一种从不放弃的信念。"
ESSAY = "坚持的意义\n" + "\n".join([PARA] * 6) + "\n那一刻，我终于明白了坚持是一种从不放弃的信念。"


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(resources_dir())


@pytest.fixture(scope="module")
def grounding() -> Grounding:
    root = resources_dir()
    return Grounding(load_guard_rules(root), load_evidence_rules(root), sources=(PLAN,))


def test_the_helper_gives_what_is_computed_here_and_outlives_a_kill(analyzer, grounding):
    rubric = load_rubric(resources_dir(), "gaokao")
    args = {"query": "以“坚持”为题写一篇记叙文", "target_chars": 800, "grounding": grounding}
    here = text_side(ESSAY, rubric, analyzer, **args)
    assert {e.kind for e in here.evidence} >= {"repeat", "copy"}  # something to compare
    with TextSideProcess(resources_dir(), analyzer) as helper:
        assert helper.compute(ESSAY, rubric, **args) == here
        # the helper is killed (out of memory, by hand): the next essay is computed here
        (pid,) = helper._pool._processes  # type: ignore[union-attr]  # the one helper
        os.kill(pid, signal.SIGKILL)
        assert helper.compute(ESSAY, rubric, **args) == here
        assert not helper.alive
    assert not helper.alive
