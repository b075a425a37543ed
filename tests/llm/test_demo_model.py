"""Opt-in checks against the real demo model: ``pytest -m demo_model`` once it is installed."""

import json
import os
import threading

import pytest

from writer_app.config import AppPaths, EngineSettings
from writer_app.errors import ModelError
from writer_app.llm.engine import CancelToken, FinishReason, GenerationParams, collect
from writer_app.llm.local import make_engine, make_registry

pytestmark = pytest.mark.demo_model


@pytest.fixture(scope="module")
def demo_engine():
    # the autouse fixture points WRITER_APP_HOME at an empty tmp dir; the demo lives in the real
    # data dir, or in DEMO_HOME when given
    home = os.environ.get("DEMO_HOME")
    paths = AppPaths.from_env({"WRITER_APP_HOME": home} if home else {})
    try:
        engine, _info = make_engine(paths, make_registry(paths), EngineSettings(model="demo", n_ctx=4096))
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
