"""GUI fixtures: an offscreen Qt, a window over a temporary data dir, and Chinese typing."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("WRITER_APP_NO_FIRST_RUN", "1")

from collections.abc import Callable, Iterator  # noqa: E402

import pytest  # noqa: E402
from guihelp import *  # noqa: E402,F403  (re-exported for the tests)

from writer_app.config import AppPaths, Settings  # noqa: E402
from writer_app.gui.app import create_window  # noqa: E402
from writer_app.gui.main_window import MainWindow  # noqa: E402
from writer_app.resources import resources_dir  # noqa: E402


@pytest.fixture(autouse=True)
def _fixed_bandwidth(monkeypatch):
    """The bandwidth probe is a second of numpy work over 256 MB a core: the dialogs get a
    fixed figure here (the probe itself runs in the bench tests)."""
    from writer_app.llm import fit

    monkeypatch.setattr(fit, "measure_bandwidth", lambda: 30.0)


@pytest.fixture
def make_window(qtbot, app_home) -> Iterator[Callable[..., MainWindow]]:
    """Build a started window (library open) over this test's data dir."""
    made: list[MainWindow] = []

    def make(settings: Settings | None = None, *, load_model: bool = False) -> MainWindow:
        w = create_window(
            AppPaths.from_env(), settings or Settings(author="王老师"), resources=resources_dir()
        )
        qtbot.addWidget(w)
        w.show()
        w.start(load_model=load_model)
        qtbot.waitUntil(lambda: w.library is not None and w.project is not None, timeout=15000)
        made.append(w)
        return w

    yield make
    for w in made:
        w.close()
