"""Build a :class:`LocalEngine` from settings and a model name: resolve, validate, size the context."""

from __future__ import annotations

from dataclasses import replace

from writer_app.config import AppPaths, EngineSettings
from writer_app.errors import ModelError
from writer_app.llm.catalog import ModelRegistry, load_catalog
from writer_app.llm.engine import GenerationParams
from writer_app.llm.gguf_info import GGUFInfo, read_info
from writer_app.llm.worker import LocalEngine, WorkerConfig
from writer_app.resources import Resources

AUTO_CTX_CAP = 8192


def make_registry(paths: AppPaths, resources: Resources) -> ModelRegistry:
    extra = resources.checkout_models_dir()
    return ModelRegistry(paths, load_catalog(resources.catalog_file), [extra] if extra else [], resources)


def resolve_n_ctx(requested: int, info: GGUFInfo) -> int:
    trained = info.context_length
    if requested <= 0:
        return min(trained, AUTO_CTX_CAP) if trained else 4096
    if trained and requested > trained:
        raise ModelError(
            f"n_ctx={requested} 超过模型 {info.name} 支持的上下文长度 {trained}"
            f" (n_ctx is larger than the model's trained context of {trained} tokens)"
        )
    return requested


def worker_config(
    registry: ModelRegistry, settings: EngineSettings, model: str | None = None
) -> tuple[WorkerConfig, GGUFInfo]:
    path = registry.resolve(model or settings.model or registry.default_model())
    info = read_info(path)
    if settings.n_gpu_layers < 0:
        raise ModelError("n_gpu_layers 不能为负数 (n_gpu_layers must be >= 0)")
    config = WorkerConfig(
        model_path=str(path),
        n_ctx=resolve_n_ctx(settings.n_ctx, info),
        n_threads=settings.resolved_threads(),
        n_gpu_layers=settings.n_gpu_layers,
        n_batch=settings.n_batch,
        fallback_chat_template=""
        if info.has_chat_template
        else registry.resources.text("chat_templates/chatml.jinja"),
    )
    return config, info


def make_engine(
    paths: AppPaths, registry: ModelRegistry, settings: EngineSettings, model: str | None = None
) -> tuple[LocalEngine, GGUFInfo]:
    config, info = worker_config(registry, settings, model)
    return LocalEngine(config, log_path=paths.logs_dir / "worker.log"), info


def default_params(settings: EngineSettings, **overrides: object) -> GenerationParams:
    params = GenerationParams(
        temperature=settings.temperature,
        top_p=settings.top_p,
        repeat_penalty=settings.repeat_penalty,
        seed=settings.seed,
    )
    return replace(params, **overrides)  # type: ignore[arg-type]
