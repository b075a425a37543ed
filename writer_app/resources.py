"""Where read-only data lives: ``resources/`` and ``models/catalog.toml``.

In a source checkout (or an editable install) they sit beside the package; in a PyInstaller
bundle under ``sys._MEIPASS``. ``WRITER_APP_RESOURCES`` points elsewhere (tests, packagers).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def app_root() -> Path:
    override = os.environ.get("WRITER_APP_RESOURCES")
    if override:
        return Path(override)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen)
    return Path(__file__).resolve().parent.parent


def resources_dir() -> Path:
    return app_root() / "resources"


def catalog_file() -> Path:
    return app_root() / "models" / "catalog.toml"


def checkout_models_dir() -> Path | None:
    """The repo's ``models/`` folder when running from a source checkout, else None."""
    d = app_root() / "models"
    return d if (app_root() / "pyproject.toml").exists() and d.is_dir() else None


def read_text(relative: str) -> str:
    return (resources_dir() / relative).read_text(encoding="utf-8")
