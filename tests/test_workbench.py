"""The Qt-free services behind the GUI."""

from __future__ import annotations

import pytest

from writer_app.config import AppPaths, EngineSettings, Settings
from writer_app.errors import ModelError, WriterAppError
from writer_app.llm.engine import CancelToken, GenerationParams
from writer_app.workbench import Workbench, load_sample_prompts

ESSAY = (
    "坚持的意义\n" + "清晨的操场上，我一圈又一圈地奔跑。汗水湿透了衣背，可我知道，坚持才能看见远方。\n" * 12
)


def bench(small_resources, settings: Settings | None = None) -> Workbench:
    return Workbench.create(AppPaths.from_env(), settings or Settings(), small_resources / "resources")


def test_without_a_model_the_host_says_so_and_the_critique_uses_analysis(small_resources):
    wb = bench(small_resources)
    assert wb.models.configured_name() == ""
    with pytest.raises(ModelError, match="还没有设置模型"):
        wb.models.engine()
    assert wb.models.state == "none"
    genre = wb.genre("议论文")
    result = wb.critique(ESSAY, "坚持", genre, 800, CancelToken(), use_model=False)
    assert result.source == "analysis" and result.suggestions
    assert 0 < result.total <= result.rubric.max_total


def test_a_corrupt_model_is_one_line_before_any_worker_starts(small_resources, tmp_path):
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF\x03\x00\x00\x00garbage")
    wb = bench(small_resources, Settings(engine=EngineSettings(model=str(bad))))
    with pytest.raises(ModelError) as info:
        wb.models.check()
    assert "\n" not in str(info.value)


def test_the_tiny_model_loads_streams_and_counts_tokens(small_resources, tiny_model):
    wb = bench(
        small_resources,
        Settings(engine=EngineSettings(model=str(tiny_model), n_ctx=2048, n_threads=2, seed=1)),
    )
    try:
        info = wb.models.load()
        assert wb.models.state == "ready" and info
        genre = wb.genre("议论文")
        thought = wb.outline("以“坚持”为话题写一篇议论文", genre, 200, CancelToken())
        events = list(wb.draft("以“坚持”为话题写一篇议论文", thought, genre, 60, CancelToken()))
        assert events[-1].kind == "done" and events[-1].result.answer
        assert wb.models.tokens > 0
    finally:
        wb.models.close()


def test_sample_prompts_are_data_and_a_missing_file_gives_none(tmp_path):
    from writer_app.resources import resources_dir

    samples = load_sample_prompts(resources_dir())
    assert len(samples) >= 3 and all(s.query and s.query_type for s in samples)
    assert load_sample_prompts(tmp_path) == []


def test_the_status_name_of_a_server_without_a_port_names_the_scheme_s_port(small_resources):
    from writer_app.config import ServerSettings

    server = ServerSettings(url="https://llm.school.cn/v1", model="qwen2.5-7b")
    wb = bench(small_resources, Settings(engine=EngineSettings(backend="server", server=server)))
    assert wb.models.configured_name() == "qwen2.5-7b @ llm.school.cn:443"


def test_classroom_mode_builds_a_server_engine_and_never_the_local_one(small_resources, tiny_model, tmp_path):
    from file_keyring import FileKeyring
    from openai_stub import LlamaServer

    from writer_app.config import ServerSettings
    from writer_app.keys import KeyStore
    from writer_app.llm.remote import RemoteEngine

    srv = LlamaServer(tiny_model, api_key="class-key")
    try:
        settings = Settings(
            engine=EngineSettings(backend="server", model=str(tiny_model), server=ServerSettings(url=srv.url))
        )
        wb = Workbench.create(AppPaths.from_env(), settings, small_resources / "resources")
        wb.models.keys = KeyStore(FileKeyring(tmp_path / "ring.json"), env={})
        host = wb.models
        assert host.remote and host.configured_name() == f"@ 127.0.0.1:{srv.port}"
        with pytest.raises(WriterAppError, match="HTTP 401"):
            host.load()
        assert host.state == "error"  # and no local worker was started in its place
        assert host.engine().worker_pid is None and isinstance(host.engine().inner, RemoteEngine)
        host.keys.set(srv.url, "class-key")
        host.reconfigure(settings)
        info = host.load()
        assert info["backend"] == "server" and host.name == f"tiny @ 127.0.0.1:{srv.port}"
        thought = wb.outline("以“坚持”为题写一篇议论文", wb.genre("议论文"), 300, CancelToken())
        assert thought.to_markdown().strip() and host.tokens > 0
        host.session_keys[srv.url] = "typed-this-run"  # a key typed where no keyring can keep it wins
        host.reconfigure(settings)
        with pytest.raises(WriterAppError, match="HTTP 401"):
            host.load()
    finally:
        srv.stop()


def _scripted_answers():
    import json as _json

    return [  # the shipped mode: strengths and problems, then the band
        _json.dumps(
            {
                "strengths": ["切题"],
                "problems": ["平"] * n,
                "band": "一等",
                "suggestions": [{"quote": "汗水湿透了衣背", "issue": "平", "fix": "细"}],
            },
            ensure_ascii=False,
        )
        for n in (0, 1, 1)  # the test resources allow one problem per dimension
    ]


def test_one_model_output_gives_one_verdict(small_resources, monkeypatch):
    """The window and the CLI both call critique() with the host's engine (see
    tests/gui/test_one_pipeline.py for the two front ends end to end): the same model output gives
    the same verdict."""
    from scripted_engine import ScriptedEngine

    wb = bench(small_resources)
    genre = wb.genre("议论文")
    thought = "## 立意\n汗水湿透了衣背，可我知道坚持才能看见远方"
    monkeypatch.setattr(wb.models, "params", lambda: GenerationParams())
    monkeypatch.setattr(type(wb.models), "name", property(lambda self: "demo"))
    monkeypatch.setattr(wb.models, "engine", lambda: ScriptedEngine(_scripted_answers()))
    window = wb.critique(ESSAY, "坚持", genre, 800, CancelToken(), thought=thought)
    monkeypatch.setattr(wb.models, "engine", lambda: ScriptedEngine(_scripted_answers()))
    cli = wb.critique(ESSAY, "坚持", genre, 800, CancelToken(), thought=thought)
    a, b = window.to_dict(), cli.to_dict()
    a.pop("stats"), b.pop("stats")
    assert a == b
    assert a["evidence"] and a["calibration"] and len(a["suggestions"]) >= 3
    assert any(ev["kind"] == "copy" for ev in a["evidence"])  # the 构思 is a copy source in both


def test_a_corrupt_calibration_of_ones_own_is_one_line_and_the_built_in_one_is_used(small_resources):
    wb = bench(small_resources)
    wb.paths.calibration_file.parent.mkdir(parents=True, exist_ok=True)
    wb.paths.calibration_file.write_text("[[calibration]\nbroken", encoding="utf-8")
    r = wb.critique(ESSAY, "坚持", wb.genre("议论文"), 800, CancelToken(), use_model=False)
    assert r.calibration is not None and r.calibration["model"] == ""
    assert len(r.warnings) == 1 and "calibration.toml" in r.warnings[0] and "内置校准" in r.warnings[0]


def _tagged_class(lib, n: int, tag: str = "高三2班") -> list[int]:
    return [
        lib.projects.import_essay(
            f"essay:{tag}:学生{i}",
            student=f"学生{i}",
            title="我的老师",
            text="我的老师姓王。她每天早上七点就站在教室门口，笑着和我们打招呼。" * (i + 1),
            tags=[tag],
        )[1]
        for i in range(n)
    ]


def test_a_class_batch_resumes_its_unfinished_one_and_then_takes_only_new_texts(small_resources):
    wb = bench(small_resources)
    lib = wb.open_library(first=True)
    ids = _tagged_class(lib, 3)
    batch = wb.start_batch(lib, tag="高三2班", use_model=False)
    assert batch is not None and batch.total == 3
    assert wb.start_batch(lib, tag="高三2班").id == batch.id  # unfinished: the same batch resumes
    done = wb.run_batch(lib, batch.id, CancelToken())
    assert done.done == 3 and all(len(lib.projects.critiques(i)) == 1 for i in ids)
    assert lib.projects.critiques(ids[0])[0]["data"]["source"] == "analysis"
    assert wb.start_batch(lib, tag="高三2班") is None  # nothing new
    _tagged_class(lib, 4)  # the fourth student's essay arrives, the others unchanged
    late = wb.start_batch(lib, tag="高三2班", use_model=False)
    assert late is not None and [i.student for i in lib.marking.items(late.id)] == ["学生3"]
    assert wb.start_batch(lib, project_ids=ids[:2], again=True, use_model=False).total == 2
    with pytest.raises(WriterAppError, match="没有标签"):
        wb.start_batch(lib, tag="高三9班")
    lib.close()


def test_a_batch_with_its_text_side_in_a_helper_process_stores_the_same_critiques(small_resources):
    wb = bench(small_resources)
    lib = wb.open_library(first=True)
    ids = _tagged_class(lib, 3)
    first = wb.start_batch(lib, tag="高三2班", use_model=False)
    assert wb.run_batch(lib, first.id, CancelToken(), separate_process=True).done == 3
    again = wb.start_batch(lib, tag="高三2班", again=True, use_model=False)
    assert wb.run_batch(lib, again.id, CancelToken()).done == 3  # in this process
    for i in ids:
        helper, here = (c["data"] for c in lib.projects.critiques(i))
        assert helper == here and helper["metrics"]["words"] > 0
    lib.close()


def test_a_batch_on_a_server_sends_as_many_at_once_as_it_has_slots(small_resources):
    from openai_stub import Misbehaving

    from writer_app.config import ServerSettings

    with Misbehaving() as stub:
        settings = Settings(engine=EngineSettings(backend="server", server=ServerSettings(url=stub.url)))
        wb = bench(small_resources, settings)
        assert wb.models.parallel() == 1  # the server says nothing of its slots
        stub.slots = 4
        assert wb.models.parallel() == 4
        settings.engine.server.parallel = 2  # the setting wins
        assert wb.models.parallel() == 2
    local = bench(small_resources)
    assert local.models.parallel() == 1
