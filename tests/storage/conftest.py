from __future__ import annotations

from pathlib import Path

import pytest

from writer_app.analysis.metrics import Analyzer
from writer_app.config import AppPaths
from writer_app.resources import resources_dir
from writer_app.storage.library import Library


@pytest.fixture(scope="session")
def analyzer() -> Analyzer:
    return Analyzer(resources_dir())


def open_library(root: Path, analyzer: Analyzer) -> Library:
    return Library.open(AppPaths(data_dir=root, config_dir=root), analyzer)


@pytest.fixture
def library(tmp_path, analyzer):
    lib = open_library(tmp_path / "home", analyzer)
    yield lib
    lib.close()
