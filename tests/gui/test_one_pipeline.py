"""One pipeline for every front end: the window and ``writer-app critique --json`` give the same
critique for the same text, model output and seed, because both go through Workbench."""

from __future__ import annotations

import json
import types

from PySide6.QtCore import Qt

from writer_app import cli
from writer_app.config import EngineSettings, Settings

ESSAY = (
    "坚持的意义\n" + "清晨的操场上，我一圈又一圈地奔跑。汗水湿透了衣背，可我知道，坚持才能看见远方。\n" * 12
)
QUERY = "以“坚持”为话题，写一篇议论文。"
THOUGHT = "## 立意\n汗水湿透了衣背，可我知道坚持才能看见远方\n"


def _answers() -> list[str]:
    return [  # band mode: strengths and problems, then the band, per dimension
        json.dumps(
            {"strengths": ["切题"], "problems": ["平"] * n, "band": "二等",
             "suggestions": [{"quote": "汗水湿透了衣背", "issue": "平", "fix": "细"}]},
            ensure_ascii=False,
        )
        for n in (0, 1, 2)
    ]  # fmt: skip


def test_the_window_and_the_cli_give_the_same_critique_json(make_window, qtbot, monkeypatch, capsys):
    from scripted_engine import ScriptedEngine

    import writer_app.llm.local as local

    # every model host builds its engine the one way; here that way gives the scripted model
    monkeypatch.setattr(
        local,
        "make_engine",
        lambda *_a, **_k: (ScriptedEngine(_answers()), types.SimpleNamespace(path="scripted.gguf", name="s")),
    )
    settings = Settings(author="王老师", engine=EngineSettings(model="scripted", seed=7))
    w = make_window(settings)
    pid = w.library.projects.create("坚持", "议论文", QUERY).id
    w.library.projects.set_text(pid, "thought", THOUGHT)
    w.library.projects.set_text(pid, "answer", ESSAY)
    w.open_project(pid)
    with qtbot.waitSignal(w.generation_finished, timeout=60_000) as sig:
        qtbot.mouseClick(w.critique_tab.run_button, Qt.MouseButton.LeftButton)
    assert sig.args == ["critique", "stop"], w.banner.text()
    window = w.library.projects.critiques(pid)[0]["data"]

    capsys.readouterr()
    rc = cli.main(["critique", "--project", str(pid), "-m", "scripted", "--seed", "7", "--json"])
    out = capsys.readouterr().out
    assert rc == 0, out
    from_cli = json.loads(out)
    window.pop("stats"), from_cli.pop("stats")  # seconds differ; everything else may not
    assert from_cli == window
    assert window["source"] == "model" and window["calibration"] is not None
    logs = [g for g in w.library.projects.generations(pid) if g["kind"] == "critique"]
    assert len(logs) == 2 and logs[0]["model"] == logs[1]["model"] == "scripted"
    assert logs[0]["params"] == logs[1]["params"]  # one record_critique for both front ends
