"""Typed settings and the app's paths. No globals: callers build and pass these in.

``WRITER_APP_HOME`` overrides the whole data dir (settings included); tests and
benchmarks always set it. Otherwise platformdirs picks the per-user folders.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import tomli_w

from writer_app.errors import WriterAppError

APP_NAME = "writer-companion"
HOME_ENV = "WRITER_APP_HOME"


def physical_cores() -> int:
    """Physical CPU cores (not hyper-threads); llama.cpp runs best with one thread per core."""
    cores: set[tuple[str, str]] = set()
    base = Path("/sys/devices/system/cpu")
    try:
        for cpu in base.glob("cpu[0-9]*"):
            topo = cpu / "topology"
            core = (topo / "core_id").read_text().strip()
            pkg = (topo / "physical_package_id").read_text().strip()
            cores.add((pkg, core))
    except OSError:
        cores.clear()
    if cores:
        return len(cores)
    return max(1, (os.cpu_count() or 2) // 2) if (os.cpu_count() or 1) > 2 else (os.cpu_count() or 1)


@dataclass
class ServerSettings:
    """Classroom mode: an OpenAI-compatible server. The API key is never here: it lives in the
    OS keyring (see :mod:`writer_app.keys`)."""

    url: str = ""  # e.g. http://192.168.1.10:8080/v1
    model: str = ""  # one of the server's models; "": its only one
    timeout_s: float = 300.0  # seconds without a byte from the server before a request fails
    deadline_s: float = 3600.0  # one request, start to end, whatever the server keeps sending
    ca_file: str = ""  # a CA certificate to trust (a school server's self-signed certificate)
    parallel: int = 0  # requests a batch sends at once; 0: as many as the server has slots


BACKENDS = ("local", "server")


@dataclass
class EngineSettings:
    """What the inference engine needs. 0 means "choose for me"."""

    backend: str = "local"  # local: a GGUF model in a worker process; server: classroom mode
    server: ServerSettings = field(default_factory=ServerSettings)
    model: str = ""  # a catalog name, an added model's name, or a path to a .gguf
    n_ctx: int = 0  # 0: min(the model's training context, 8192)
    n_threads: int = 0  # 0: physical cores
    n_gpu_layers: int = 0
    n_batch: int = 512
    temperature: float = 0.8
    top_p: float = 0.95
    repeat_penalty: float = 1.1
    seed: int = -1  # -1: random

    def resolved_threads(self) -> int:
        return self.n_threads if self.n_threads > 0 else physical_cores()


@dataclass
class Settings:
    engine: EngineSettings = field(default_factory=EngineSettings)
    author: str = ""
    language: str = "auto"  # auto (the system locale: English if it is English, else Chinese) | zh | en
    data_dir: str = ""  # empty: the default data folder; takes effect at the next start
    # 先想后写: a thinking model (Qwen3) thinks before it writes the 构思, and the window shows
    # that thinking in its own panel; off, every step answers at once
    think_first: bool = False


@dataclass(frozen=True)
class AppPaths:
    """Every folder the app writes to. Build with :meth:`from_env` or pass a tmp dir."""

    data_dir: Path
    config_dir: Path
    pinned: bool = False  # WRITER_APP_HOME chose the folder: the settings' data_dir does not move it

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AppPaths:
        env = os.environ if env is None else env
        home = env.get(HOME_ENV)
        if home:
            root = Path(home).expanduser()
            return cls(data_dir=root, config_dir=root, pinned=True)
        import platformdirs

        return cls(
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        )

    def with_data_dir(self, data_dir: str, warnings: list[str] | None = None) -> AppPaths:
        """These paths with the data folder the user chose in the settings (config stays put).

        A relative folder would depend on where the app was started, so it is ignored with a
        warning; so is any folder when ``WRITER_APP_HOME`` pinned the data folder.
        """
        if not data_dir.strip():
            return self
        warn = warnings if warnings is not None else []
        if self.pinned:
            warn.append(
                f"已设置 {HOME_ENV}，设置中的 data_dir 被忽略 ({HOME_ENV} is set; data_dir in the settings is ignored)"
            )
            return self
        chosen = Path(data_dir).expanduser()
        if not chosen.is_absolute():
            warn.append(
                f"设置项 data_dir 应是绝对路径，已忽略：{data_dir!r}（使用默认数据文件夹）"
                " (data_dir must be an absolute path; the default data folder is used)"
            )
            return self
        return AppPaths(data_dir=chosen, config_dir=self.config_dir)

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def downloads_dir(self) -> Path:
        return self.data_dir / "downloads"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def database_file(self) -> Path:
        return self.data_dir / "writer.db"

    @property
    def backups_dir(self) -> Path:
        return self.data_dir / "backups"

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.toml"

    @property
    def added_models_file(self) -> Path:
        return self.data_dir / "models.toml"

    @property
    def calibration_file(self) -> Path:
        """The critique's calibrations fitted by ``writer-app calibrate`` (one per model and rubric)."""
        return self.data_dir / "calibration.toml"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temp file in the same folder, fsync, then rename over ``path`` (mode 0600: the
    app's own files). Raises OSError."""
    from writer_app.textio import atomic_replace

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_replace(path, data, 0o600)


# the range every number in settings.toml must fall in; outside it the default is used
RANGES: dict[str, tuple[float, float]] = {
    "engine.server.timeout_s": (1.0, 86400.0),
    "engine.server.deadline_s": (1.0, 86400.0),
    "engine.server.parallel": (0, 64),
    "engine.n_ctx": (0, 1 << 20),
    "engine.n_threads": (0, 1024),
    "engine.n_gpu_layers": (-1, 100_000),
    "engine.n_batch": (1, 65_536),
    "engine.temperature": (0.0, 5.0),
    "engine.top_p": (0.0, 1.0),
    "engine.repeat_penalty": (0.5, 5.0),
    "engine.seed": (-1, 2**32 - 1),
}


def _in_range(name: str, value: object) -> bool:
    if isinstance(value, float) and not math.isfinite(value):
        return False
    lo, hi = RANGES.get(name, (-math.inf, math.inf))
    return not isinstance(value, int | float) or lo <= value <= hi


def _fill(cls: type, raw: Mapping[str, object], where: str, warnings: list[str]) -> object:
    """Build dataclass ``cls`` from ``raw``, keeping defaults for unknown or ill-typed keys."""
    kwargs: dict[str, object] = {}
    defaults = cls()
    for f in dataclasses.fields(cls):
        if f.name not in raw:
            continue
        value = raw[f.name]
        default = getattr(defaults, f.name)
        if dataclasses.is_dataclass(default):
            if isinstance(value, Mapping):
                kwargs[f.name] = _fill(type(default), value, f"{where}{f.name}.", warnings)
            else:
                warnings.append(f"设置项 {where}{f.name} 应为表格，已忽略 (expected a table, ignored)")
            continue
        expected = type(default)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if type(value) is not expected:
            warnings.append(
                f"设置项 {where}{f.name} 类型应为 {expected.__name__}，已使用默认值"
                f" (setting {where}{f.name} should be {expected.__name__}; default used)"
            )
            continue
        if not _in_range(f"{where}{f.name}", value):
            lo, hi = RANGES.get(f"{where}{f.name}", (None, None))
            span = f"{lo}–{hi}" if lo is not None else "有限数 (finite)"
            warnings.append(
                f"设置项 {where}{f.name} = {value!r} 超出范围 {span}，已使用默认值"
                f" (setting {where}{f.name} is out of range; default used)"
            )
            continue
        kwargs[f.name] = value
    return cls(**kwargs)


def load_settings(path: Path) -> tuple[Settings, list[str]]:
    """Read settings; a missing file gives defaults. Returns (settings, warnings).

    A malformed file raises :class:`WriterAppError` and is never overwritten by us.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return Settings(), []
    except OSError as exc:
        raise WriterAppError(f"无法读取设置文件 {path}：{exc.strerror} (cannot read settings)") from exc
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise WriterAppError(f"设置文件格式错误 {path}：{exc} (malformed settings file)") from exc
    warnings: list[str] = []
    settings = _fill(Settings, raw, "", warnings)
    assert isinstance(settings, Settings)
    if settings.engine.backend not in BACKENDS:
        warnings.append(
            f"设置项 engine.backend 应为 local 或 server，已使用 local"
            f" (engine.backend must be local or server; local used): {settings.engine.backend!r}"
        )
        settings.engine.backend = "local"
    return settings, warnings


def save_settings(path: Path, settings: Settings) -> None:
    try:
        atomic_write_bytes(path, tomli_w.dumps(dataclasses.asdict(settings)).encode("utf-8"))
    except OSError as exc:
        raise WriterAppError(f"无法保存设置 {path}：{exc.strerror} (cannot save settings)") from exc
