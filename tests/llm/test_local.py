"""Building a local engine's config: the registry from the resources, the context size, and the
chat template a model without one gets."""

from __future__ import annotations

import pytest
from tiny_gguf import build_gguf

from writer_app.config import AppPaths, EngineSettings
from writer_app.errors import ModelError
from writer_app.llm.local import make_registry, resolve_n_ctx, worker_config
from writer_app.resources import locate


def test_the_context_is_the_models_up_to_the_cap_and_never_past_its_training(tmp_path):
    path = build_gguf(tmp_path / "m.gguf", context_length=2048)
    from writer_app.llm.gguf_info import read_info

    info = read_info(path)
    assert resolve_n_ctx(0, info) == 2048 and resolve_n_ctx(1024, info) == 1024
    with pytest.raises(ModelError, match="2048"):
        resolve_n_ctx(4096, info)


def test_a_model_without_a_chat_template_gets_the_shipped_one(tmp_path):
    res = locate()
    registry = make_registry(AppPaths(tmp_path / "d", tmp_path / "c"), res)
    assert "demo" in registry.catalog  # the catalog came from the resources
    bare = build_gguf(tmp_path / "bare.gguf", chat_template=None)
    config, _info = worker_config(registry, EngineSettings(), str(bare))
    assert config.fallback_chat_template == res.text("chat_templates/chatml.jinja")
    own = build_gguf(tmp_path / "own.gguf")
    config, _info = worker_config(registry, EngineSettings(), str(own))
    assert config.fallback_chat_template == ""
