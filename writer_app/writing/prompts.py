"""Prompt templates as data (``resources/prompts/*.toml``), filled with ``${name}`` placeholders."""

from __future__ import annotations

import string
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from writer_app.errors import BadInputError


@dataclass(frozen=True)
class PromptSet:
    """One prompt file: named templates plus a ``[limits]`` table."""

    name: str
    templates: dict[str, str]
    limits: dict[str, Any]

    def render(self, key: str, **values: object) -> str:
        try:
            template = self.templates[key]
        except KeyError:
            raise BadInputError(f"提示模板 {self.name}.{key} 不存在 (prompt template missing)") from None
        try:
            return string.Template(template).substitute({k: str(v) for k, v in values.items()})
        except KeyError as exc:
            raise BadInputError(
                f"提示模板 {self.name}.{key} 使用了未知变量 {exc} (unknown placeholder in prompt template)"
            ) from None
        except ValueError as exc:
            raise BadInputError(f"提示模板 {self.name}.{key} 格式错误：{exc} (bad placeholder)") from None

    def limit(self, key: str, default: Any = None) -> Any:
        return self.limits.get(key, default)


def load_prompts(resources_dir: Path, name: str) -> PromptSet:
    path = resources_dir / "prompts" / f"{name}.toml"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInputError(f"找不到提示文件 (prompt file not found): {path}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadInputError(f"提示文件 {path.name} 格式错误 (malformed prompt file): {exc}") from None
    limits = raw.pop("limits", {})
    templates = {k: v for k, v in raw.items() if isinstance(v, str)}
    return PromptSet(name, templates, dict(limits))
