"""Where read-only data lives: ``resources/`` and ``models/catalog.toml``, under one root.

A :class:`Resources` value names that root and reads from it, with one error policy: a missing
or unreadable file is a :class:`ResourceError` whose one line names the file. It is built once,
at the edge (``cli.main``, the GUI entry, a test), and passed to :class:`Workbench`,
``ModelHost``, the model registry and the server client; the core never looks the root up.

Looking it up (:func:`locate`): in a source checkout (or an editable install) the data sits beside
the package; in a PyInstaller bundle under ``sys._MEIPASS``; ``WRITER_APP_RESOURCES`` points
elsewhere (tests, packagers).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from writer_app.errors import WriterAppError

RESOURCES_ENV = "WRITER_APP_RESOURCES"


class ResourceError(WriterAppError):
    """A file of the app's own data is missing or unreadable (a damaged install)."""


@dataclass(frozen=True)
class Resources:
    root: Path

    @classmethod
    def at(cls, resources_dir: Path) -> Resources:
        """The resources whose ``resources/`` folder is ``resources_dir``."""
        return cls(resources_dir.parent)

    @property
    def dir(self) -> Path:
        return self.root / "resources"

    @property
    def catalog_file(self) -> Path:
        return self.root / "models" / "catalog.toml"

    def checkout_models_dir(self) -> Path | None:
        """The repo's ``models/`` folder when running from a source checkout, else None."""
        d = self.root / "models"
        return d if (self.root / "pyproject.toml").exists() and d.is_dir() else None

    def text(self, relative: str) -> str:
        path = self.dir / relative
        try:
            return path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise ResourceError(
                f"程序自带的数据文件缺失或损坏：{path}（{reason}），请重新安装 (the app's data file is missing or damaged)"
            ) from None


def locate(env: Mapping[str, str] | None = None) -> Resources:
    """The resources this run uses. Call it at the edge only: the core is handed the value."""
    env = os.environ if env is None else env
    override = env.get(RESOURCES_ENV)
    if override:
        return Resources(Path(override))
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Resources(Path(frozen))
    return Resources(Path(__file__).resolve().parent.parent)


# the edge's shorthands (cli, gui entry, tests)
def app_root() -> Path:
    return locate().root


def resources_dir() -> Path:
    return locate().dir


def catalog_file() -> Path:
    return locate().catalog_file
