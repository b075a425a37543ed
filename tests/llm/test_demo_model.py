"""Opt-in checks against the real demo model: ``pytest -m demo_model`` once it is installed."""

import json
import os
import threading

import pytest

from writer_app.config import AppPaths, EngineSettings
from writer_app.errors import ModelError
from writer_app.llm.engine import CancelToken, FinishReason, GenerationParams, collect
from writer_app.llm.local import make_engine, make_registry
from writer_app.resources import locate

pytestmark = pytest.mark.demo_model


@pytest.fixture(scope="module")
def demo_engine():
    # the autouse fixture points WRITER_APP_HOME at an empty tmp dir; the demo lives in the real
    # data dir, or in DEMO_HOME when given
    home = os.environ.get("DEMO_HOME")
    paths = AppPaths.from_env({"WRITER_APP_HOME": home} if home else {})
    try:
        engine, _info = make_engine(
            paths, make_registry(paths, locate()), EngineSettings(model="demo", n_ctx=4096)
        )
    except ModelError as exc:
        pytest.skip(f"demo model not installed: {exc}")
    yield engine
    engine.close()


def test_demo_writes_chinese_without_broken_characters(demo_engine):
    c = collect(
        demo_engine.stream(
            [{"role": "user", "content": "用两句话描写春天的校园。"}], GenerationParams(max_tokens=80, seed=1)
        )
    )
    assert c.finish_reason in (FinishReason.STOP, FinishReason.LENGTH)
    assert "\ufffd" not in c.text
    assert sum("\u4e00" <= ch <= "\u9fff" for ch in c.text) >= 10


def test_demo_json_outline_parses(demo_engine):
    schema = {
        "type": "object",
        "properties": {
            "立意": {"type": "string", "maxLength": 60},
            "结构": {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 4},
        },
        "required": ["立意", "结构"],
    }
    c = collect(
        demo_engine.stream(
            [{"role": "user", "content": "为作文《坚持》写提纲，输出 JSON。"}],
            GenerationParams(json_schema=schema, max_tokens=400, seed=2),
        )
    )
    data = json.loads(c.text)
    assert set(data) == {"立意", "结构"}


def test_demo_cancel_during_prompt_processing(demo_engine):
    demo_engine.load()
    cancel = CancelToken()
    threading.Timer(0.5, cancel.cancel).start()
    c = collect(
        demo_engine.stream(
            "材料：" + "春风又绿江南岸，明月何时照我还。" * 150, GenerationParams(max_tokens=5), cancel
        )
    )
    assert c.finish_reason is FinishReason.CANCELLED and c.stats.completion_tokens == 0


def test_demo_outline_then_an_800_character_draft_lands_within_15_percent(demo_engine):
    from writer_app.domain import find_genre, load_genres
    from writer_app.resources import resources_dir
    from writer_app.writing.draft import collect_draft, draft
    from writer_app.writing.outline import generate_outline
    from writer_app.writing.prompts import load_prompts

    res = resources_dir()
    genre = find_genre(load_genres(res), "议论文")
    query = "以“坚持与变通”为话题，写一篇议论文，自拟标题，不少于800字。"
    params = GenerationParams(seed=1, temperature=0.7)
    thought = generate_outline(demo_engine, load_prompts(res, "outline"), query, genre, params)
    assert len(thought.parts()) >= 2 and thought.section_text("intent")
    result = collect_draft(draft(demo_engine, load_prompts(res, "draft"), query, thought, genre, params))
    assert result.finish_reason in ("stop", "loop") and result.title
    assert abs(result.chars - 800) <= 120, result.to_dict()
    assert "#" not in result.answer and "**" not in result.answer
