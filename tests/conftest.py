"""Shared fixtures: synthetic GGUF models built once per session, and a temporary data dir."""

from __future__ import annotations

import shutil
import sys
import tomllib
from pathlib import Path

import pytest
import tomli_w

sys.path.insert(0, str(Path(__file__).parent))

from tiny_gguf import build_gguf, build_slow, build_tiny  # noqa: E402

from writer_app.llm.worker import LocalEngine, WorkerConfig  # noqa: E402
from writer_app.resources import app_root  # noqa: E402


@pytest.fixture(autouse=True)
def app_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data dir; nothing touches the real home."""
    home = tmp_path / "home"
    monkeypatch.setenv("WRITER_APP_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def tiny_model(model_dir: Path) -> Path:
    return build_tiny(model_dir / "tiny.gguf")


@pytest.fixture(scope="session")
def slow_model(model_dir: Path) -> Path:
    return build_slow(model_dir / "slow.gguf")


@pytest.fixture(scope="session")
def lying_model(model_dir: Path) -> Path:
    """Metadata passes our checks but llama.cpp asserts on it (duplicate vocab entries)."""
    return build_gguf(model_dir / "lying.gguf", duplicate_token=True, name="lying")


@pytest.fixture(scope="session")
def tiny_engine(tiny_model: Path):
    engine = LocalEngine(WorkerConfig(str(tiny_model), n_ctx=2048, n_threads=2))
    yield engine
    engine.close()


@pytest.fixture
def slow_engine(slow_model: Path):
    engine = LocalEngine(WorkerConfig(str(slow_model), n_ctx=16384, n_threads=2))
    yield engine
    engine.close()


@pytest.fixture
def small_resources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of resources/ whose bounds suit the random tiny model (it fills every string and
    every token budget)."""
    root = tmp_path / "app"
    shutil.copytree(app_root() / "resources", root / "resources")
    shutil.copytree(app_root() / "models", root / "models", ignore=shutil.ignore_patterns("*.gguf"))
    prompts = root / "resources" / "prompts"
    outline = tomllib.loads((prompts / "outline.toml").read_text(encoding="utf-8"))
    outline["limits"]["schema"] = {
        k: (2 if k.endswith(("items", "max", "min")) else 4) for k in outline["limits"]["schema"]
    }
    outline["limits"]["max_tokens"] = 700
    # six answers in one conversation: they must fit the tiny model's context together
    outline["limits"]["section_tokens"] = dict.fromkeys(outline["limits"]["section_tokens"], 40)
    (prompts / "outline.toml").write_text(tomli_w.dumps(outline), encoding="utf-8")
    draft = tomllib.loads((prompts / "draft.toml").read_text(encoding="utf-8"))
    draft["limits"]["max_context_chars"] = 300  # its vocabulary spends ~3 tokens on a Han character
    (prompts / "draft.toml").write_text(tomli_w.dumps(draft), encoding="utf-8")
    critique = tomllib.loads((prompts / "critique.toml").read_text(encoding="utf-8"))
    # the rubric block before the essay: ~3 tokens a Han character would take ~1,000 of the tiny
    # model's 2,048 (the grammar enforces the answer's form whatever the instructions say)
    critique.update(dimension="「${dimension}」${max}分", instructions="用 JSON 输出。")
    critique["band_instructions"] = "先列优点和问题，再定等级（${bands}），用 JSON 输出。"
    critique["limits"].update(
        reason_chars=4,
        quote_chars=4,
        issue_chars=4,
        fix_chars=4,
        max_suggestions=1,
        point_chars=4,
        max_points=1,
    )
    (prompts / "critique.toml").write_text(tomli_w.dumps(critique), encoding="utf-8")
    monkeypatch.setenv("WRITER_APP_RESOURCES", str(root))
    return root


@pytest.fixture(scope="session")
def qwen3_model(model_dir: Path) -> Path:
    """A tiny qwen3-architecture model carrying Qwen3's real chat template."""
    from tiny_gguf import build_qwen3

    return build_qwen3(model_dir / "qwen3-tiny.gguf")


@pytest.fixture(scope="session")
def thinking_model(model_dir: Path) -> Path:
    """The same, but it always writes <think>: a model that thinks and never answers."""
    from tiny_gguf import build_qwen3

    return build_qwen3(model_dir / "qwen3-thinker.gguf", favour="<think>")
