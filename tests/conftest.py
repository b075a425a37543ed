"""Shared fixtures: synthetic GGUF models built once per session, and a temporary data dir."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tiny_gguf import build_gguf, build_slow, build_tiny  # noqa: E402

from writer_app.llm.worker import LocalEngine, WorkerConfig  # noqa: E402


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
