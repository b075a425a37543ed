"""Start the desktop app: the one place that creates the services and the window."""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from writer_app import __version__
from writer_app.config import AppPaths, Settings
from writer_app.gui.i18n import choose_language, draws, install_translators, setup_fonts
from writer_app.gui.main_window import MainWindow
from writer_app.keys import KeyStore
from writer_app.resources import resources_dir
from writer_app.workbench import Workbench


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        return app
    QCoreApplication.setOrganizationName("writer-companion")
    QCoreApplication.setApplicationName("Writer Companion")
    QCoreApplication.setApplicationVersion(__version__)
    return QApplication(argv if argv is not None else sys.argv[:1])


def create_window(
    paths: AppPaths, settings: Settings, *, app: QApplication | None = None, resources: Path | None = None
) -> MainWindow:
    """Services, translations, fonts and the window, wired together (nothing is loaded yet)."""
    app = app or make_application()
    res = resources or resources_dir()
    language = choose_language(settings.language)
    if not getattr(app, "_writer_i18n", False):
        icon = res / "icons" / "writer-companion.svg"
        if icon.is_file():
            app.setWindowIcon(QIcon(str(icon)))
        app.setDesktopFileName(
            "io.github.writercompanion.WriterCompanion"
        )  # Wayland matches the window to the .desktop entry
        install_translators(app, language, res / "translations")
        setup_fonts(app, res / "fonts")
        app.setProperty("_writer_language", language)
        app._writer_i18n = True  # type: ignore[attr-defined]
    wb = Workbench.create(paths, settings, res, KeyStore.from_environment())
    return MainWindow(wb, settings)


def _install_excepthook(window: MainWindow, log: Path) -> None:
    """An exception in a slot becomes one line in the window and a traceback in the log."""

    def hook(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
        try:
            log.parent.mkdir(parents=True, exist_ok=True)
            with log.open("a", encoding="utf-8") as fh:
                fh.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} gui {__version__}\n")
                fh.write("".join(traceback.format_exception(exc_type, exc, tb)))
        except OSError:
            pass
        try:
            window.show_message(f"内部错误 (internal error): {exc_type.__name__}: {exc} [{log}]")
        except RuntimeError:
            pass

    sys.excepthook = hook


def run(
    paths: AppPaths,
    settings: Settings,
    *,
    screenshot: Path | None = None,
    ready_file: Path | None = None,
    quit_when_ready: bool = False,
    self_test: Path | None = None,
) -> int:
    """The GUI's main loop. ``screenshot``/``ready_file``/``quit_when_ready`` serve tests and
    the start-up benchmark: they record the moment the window is usable, and can quit then.
    ``self_test`` checks an installation: see :class:`SelfTest`."""
    app = make_application()
    window = create_window(paths, settings, app=app)
    _install_excepthook(window, paths.logs_dir / "crash.log")
    app.aboutToQuit.connect(window.flush)
    if self_test is not None:
        checker = SelfTest(app, window, self_test)
        window.show()
        QTimer.singleShot(0, lambda: window.start(load_model=True))
        app.exec()
        return checker.exit_code

    def when_usable() -> None:
        if ready_file is not None:
            ready_file.write_text(json.dumps({"monotonic": time.monotonic()}), encoding="utf-8")
        if screenshot is not None:
            from PySide6.QtGui import QFont

            family = app.font().families()[-1] if app.font().families() else app.font().family()
            window.grab().save(str(screenshot))
            text = window.prompt_tab.query.toPlainText() or window.windowTitle()
            info = {
                "family": family,
                "families": app.font().families(),
                "draws_sample": draws(family),
                "draws_text": draws(family, "".join(c for c in text if not c.isspace())[:50]),
                "text": text[:50],
                "title": window.windowTitle(),
                "default_font": QFont().family(),
            }
            screenshot.with_suffix(".json").write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
        if quit_when_ready:
            window.close()
            app.quit()

    def opened(_pid: int) -> None:
        window.project_opened.disconnect(opened)
        app.processEvents()
        QTimer.singleShot(0, when_usable)

    if ready_file is not None or screenshot is not None or quit_when_ready:
        window.project_opened.connect(opened)
    window.show()
    QTimer.singleShot(0, lambda: window.start(load_model=not quit_when_ready))
    if not quit_when_ready:
        QTimer.singleShot(0, lambda: _first_run_if_needed(window))
    return int(app.exec())


class SelfTest:
    """An installation check through the real window: once the library opens, a new project gets a
    sample prompt, the configured model writes its 构思 and then the draft, and the app quits.

    The result (``ok``, each step's finish reason and seconds, the draft's length, the Qt platform)
    goes to ``result`` as JSON; the exit code is 0 only when both generations finished normally."""

    TIMEOUT_MS = 300_000

    def __init__(self, app: QApplication, window: MainWindow, result: Path) -> None:
        self.app, self.window, self.result = app, window, result
        self.exit_code = 1
        self.started = time.monotonic()
        self.info: dict[str, Any] = {"ok": False, "platform": app.platformName(), "steps": []}
        self._step_started = 0.0
        window.project_opened.connect(self.opened)
        window.generation_finished.connect(self.finished)
        QTimer.singleShot(self.TIMEOUT_MS, lambda: self.fail("timeout"))

    def opened(self, _pid: int) -> None:
        self.window.project_opened.disconnect(self.opened)
        self.info["window_s"] = round(time.monotonic() - self.started, 3)
        QTimer.singleShot(0, self.begin)

    def begin(self) -> None:
        w = self.window
        w.new_project()
        samples = w.wb.samples
        w.prompt_tab.query.setPlainText(samples[0].query if samples else "以“坚持”为话题，写一篇短文。")
        w.prompt_tab.length.setValue(300)
        self._step_started = time.monotonic()
        w.generate_thought()

    def finished(self, kind: str, reason: str) -> None:
        self.info["steps"].append(
            {"kind": kind, "reason": reason, "s": round(time.monotonic() - self._step_started, 3)}
        )
        if reason != "stop":
            self.fail(self.window.banner.text() or reason)
        elif kind == "outline":
            self._step_started = time.monotonic()
            self.window.generate_draft()
        elif kind == "draft":
            text = self.window.draft_tab.editor.toPlainText()
            self.info["draft_chars"] = len(text)
            if text.strip():
                self.exit_code = 0
                self.done()
            else:
                self.fail("empty draft")

    def fail(self, why: str) -> None:
        if self.exit_code == 0 or "error" in self.info:
            return
        self.info["error"] = why
        self.done()

    def done(self) -> None:
        self.info["ok"] = self.exit_code == 0
        self.info["total_s"] = round(time.monotonic() - self.started, 3)
        try:
            self.result.write_text(json.dumps(self.info, ensure_ascii=False), encoding="utf-8")
        except OSError:
            pass
        self.window.close()
        self.app.quit()


def _first_run_if_needed(window: MainWindow) -> None:
    if not window.wb.models.configured_name() and not os.environ.get("WRITER_APP_NO_FIRST_RUN"):
        window.open_first_run(modal=False)
