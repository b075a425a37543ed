"""The main window: the library on the left, one project in the centre, annotations on the right.

This is where the panels' signals meet the services: the library (storage), the workbench
(writing steps over the model) and the job runner (everything slow runs off the GUI thread).
"""

from __future__ import annotations

import dataclasses
import functools
import gc
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from writer_app.config import Settings
from writer_app.errors import WriterAppError
from writer_app.gui.classview import ClassController, ClassDialog
from writer_app.gui.critique import CritiqueController
from writer_app.gui.files import EXPORTS, FilesController
from writer_app.gui.generation import GenerationController
from writer_app.gui.jobs import JobRunner
from writer_app.gui.panels import (
    AnnotationPanel,
    CritiqueTab,
    DraftTab,
    HistoryTab,
    LibraryPanel,
    PromptTab,
    ThoughtTab,
)
from writer_app.gui.project import ProjectController
from writer_app.workbench import Workbench

if TYPE_CHECKING:
    from writer_app.storage.library import Library
    from writer_app.storage.projects import Project


class MainWindow(QMainWindow):
    """One window for the whole workflow. Build it with :func:`writer_app.gui.app.create_window`."""

    project_opened = Signal(int)
    generation_finished = Signal(str, str)  # kind, finish reason ("stop", "cancelled", "error")

    def __init__(self, wb: Workbench, settings: Settings, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.wb = wb
        if settings is not wb.settings:
            wb.apply_settings(settings, save=False)  # one copy of the settings: the workbench's
        self.runner = JobRunner(self, crash_log=wb.paths.logs_dir / "crash.log")
        self.projects = ProjectController(self)  # the list, the open project, history, comments
        self.generation = GenerationController(self)  # the 构思 and the streamed draft steps
        self.files = FilesController(self)  # import, export, PDF and print
        self.critic = CritiqueController(self)  # the critique and its suggestions
        self.classes = ClassController(self)  # a class's essays: batch critique, marks, feedback
        self.class_dialog: ClassDialog | None = None
        self.qsettings = QSettings(str(wb.paths.config_dir / "window.ini"), QSettings.Format.IniFormat)
        self._closing = False
        self._tok_mark = (0, time.monotonic())
        self.setWindowTitle(self.tr("写作伴侣"))
        self.setAcceptDrops(True)

        self._build_panels()
        self._build_status_bar()
        self._build_menus()
        self._wire()
        self._set_enabled(False)
        self.update_model_label()
        geometry = self.qsettings.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1100, 720)
        state = self.qsettings.value("state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)

    # ============================================================================================
    # construction
    # ============================================================================================
    def _build_panels(self) -> None:
        wb = self.wb
        self.library_panel = LibraryPanel(wb.genres)
        self.prompt_tab = PromptTab(wb.genres, wb.samples)
        self.thought_tab = ThoughtTab()
        self.draft_tab = DraftTab()
        self.critique_tab = CritiqueTab()
        self.history_tab = HistoryTab()
        self.annotations = AnnotationPanel()
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName(self.tr("项目"))
        self.tabs.addTab(self.prompt_tab, self.tr("题目"))
        self.tabs.addTab(self.thought_tab, self.tr("构思"))
        self.tabs.addTab(self.draft_tab, self.tr("正文"))
        self.tabs.addTab(self.critique_tab, self.tr("点评"))
        self.tabs.addTab(self.history_tab, self.tr("历史"))
        self.banner = QLabel()
        self.banner.setWordWrap(True)
        self.banner.setAccessibleName(self.tr("提示信息"))
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.setStyleSheet(
            "QLabel { padding: 6px; border: 1px solid palette(mid); border-radius: 4px; }"
        )
        self.banner.setVisible(False)
        banner_close = QPushButton("×")
        banner_close.setFlat(True)
        banner_close.setAccessibleName(self.tr("关闭提示"))
        banner_close.clicked.connect(lambda: self.show_message(""))
        self._banner_row = QWidget()
        br = QHBoxLayout(self._banner_row)
        br.setContentsMargins(0, 0, 0, 0)
        br.addWidget(self.banner, 1)
        br.addWidget(banner_close)
        self._banner_row.setVisible(False)
        centre = QWidget()
        cl = QVBoxLayout(centre)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addWidget(self._banner_row)
        cl.addWidget(self.tabs, 1)
        self.splitter = QSplitter()
        self.splitter.addWidget(self.library_panel)
        self.splitter.addWidget(centre)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([260, 760])
        self.setCentralWidget(self.splitter)
        self.annotation_dock = QDockWidget(self.tr("批注"), self)
        self.annotation_dock.setObjectName("annotations")
        self.annotation_dock.setWidget(self.annotations)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.annotation_dock)
        self.annotation_dock.hide()

    def _build_status_bar(self) -> None:
        self.model_label = QLabel()
        self.model_label.setAccessibleName(self.tr("模型状态"))
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setVisible(False)
        self.progress.setAccessibleName(self.tr("进度"))
        self._progress_slot = ""  # the job slot whose progress the bar shows
        self.speed_label = QLabel()
        self.stop_button = QPushButton(self.tr("停止"))
        self.stop_button.setAccessibleName(self.tr("停止生成"))
        self.stop_button.setVisible(False)
        sb = self.statusBar()
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.speed_label)
        sb.addPermanentWidget(self.stop_button)
        sb.addPermanentWidget(self.model_label)

    def _build_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu(self.tr("文件(&F)"))
        self.new_action = m.addAction(self.tr("新建项目"), QKeySequence.StandardKey.New, self.new_project)
        self.snapshot_action = m.addAction(
            self.tr("保存快照"), QKeySequence("Ctrl+S"), self.projects.snapshot
        )
        m.addSeparator()
        m.addAction(self.tr("导入 COIG-Writer JSON/JSONL 或项目包…"), self.files.ask_import)
        m.addAction(self.tr("导入学生作文（.docx/.txt/.md）…"), self.files.ask_import_essays)
        m.addAction(self.tr("导入一个文件夹的学生作文…"), lambda: self.files.ask_import_essays(folder=True))
        export = m.addMenu(self.tr("导出当前项目"))
        names = {
            "md": "Markdown",
            "html": "HTML",
            "docx": "Word (.docx)",
            "txt": self.tr("纯文本"),
            "jsonl": "COIG-Writer JSONL",
            "bundle": self.tr("项目包 (.wcbundle)"),
            "pdf": "PDF",
        }
        for fmt, _filter in EXPORTS:
            export.addAction(names[fmt], functools.partial(self.files.ask_export, fmt))
        m.addAction(self.tr("打印…"), QKeySequence.StandardKey.Print, self.files.print_)
        m.addSeparator()
        m.addAction(self.tr("设置…"), self.open_settings)
        m.addAction(self.tr("选择模型…"), self.open_first_run)
        m.addSeparator()
        m.addAction(self.tr("退出"), QKeySequence.StandardKey.Quit, self.close)
        g = mb.addMenu(self.tr("生成(&G)"))
        self.generate_action = g.addAction(
            self.tr("生成（按当前页）"), QKeySequence("Ctrl+Return"), self.generation.generate
        )
        g.addAction(self.tr("生成构思"), self.generate_thought)
        g.addAction(self.tr("按构思生成正文"), self.generate_draft)
        g.addAction(self.tr("点评正文"), self.critic.run)
        self.stop_action = g.addAction(self.tr("停止"), QKeySequence(Qt.Key.Key_Escape), self.generation.stop)
        c = mb.addMenu(self.tr("班级(&C)"))
        self.class_action = c.addAction(self.tr("班级视图：批量点评、成绩与反馈…"), self.open_class_view)
        c.addAction(self.tr("导入学生作文…"), self.files.ask_import_essays)
        v = mb.addMenu(self.tr("视图(&V)"))
        toggle = self.annotation_dock.toggleViewAction()
        toggle.setText(self.tr("批注面板"))
        toggle.setShortcut(QKeySequence("Ctrl+Shift+A"))
        v.addAction(toggle)
        find = QAction(self.tr("搜索项目"), self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(self.projects.focus_search)
        v.addAction(find)
        # Ctrl+Enter also works where the editor would otherwise take the key
        QShortcut(QKeySequence("Ctrl+Enter"), self, self.generation.generate)

    def _wire(self) -> None:
        lp = self.library_panel
        lp.project_selected.connect(self.open_project)
        lp.filters_changed.connect(self.projects.refresh_list)
        lp.new_requested.connect(self.new_project)
        lp.duplicate_requested.connect(self.duplicate_project)
        lp.trash_requested.connect(self.trash_project)
        lp.untrash_requested.connect(self.untrash_project)
        lp.delete_requested.connect(self.delete_project)
        self.prompt_tab.edited.connect(lambda: self.projects.edited("query"))
        self.prompt_tab.meta_edited.connect(self.projects.meta_edited)
        self.prompt_tab.generate_requested.connect(self.generate_thought)
        self.thought_tab.edited.connect(lambda: self.projects.edited("thought"))
        self.thought_tab.generate_requested.connect(self.generate_thought)
        self.thought_tab.regenerate_requested.connect(self.regenerate_section)
        self.draft_tab.edited.connect(self.projects.draft_edited)
        self.draft_tab.generate_requested.connect(self.generate_draft)
        self.draft_tab.continue_requested.connect(self.generation.continue_draft)
        self.draft_tab.rewrite_requested.connect(self.rewrite_selection)
        self.draft_tab.stop_requested.connect(self.generation.stop)
        self.critique_tab.critique_requested.connect(self.critic.run)
        self.critique_tab.suggestion_clicked.connect(self.critic.show_quote)
        self.critique_tab.rewrite_requested.connect(self.critic.apply_suggestion)
        self.history_tab.revision_selected.connect(self.projects.show_revision_diff)
        self.history_tab.restore_requested.connect(self.projects.restore_revision)
        self.history_tab.snapshot_button.clicked.connect(self.projects.snapshot)
        self.annotations.add_requested.connect(self.projects.add_annotation)
        self.annotations.resolve_requested.connect(self.projects.resolve_annotation)
        self.annotations.remove_requested.connect(self.projects.remove_annotation)
        self.annotations.annotation_clicked.connect(self.projects.show_annotation)
        self.stop_button.clicked.connect(self.generation.stop)
        self.runner.busy_changed.connect(self._busy_changed)
        self._speed_timer = QTimer(self, interval=1000)
        self._speed_timer.timeout.connect(self._update_speed)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self.projects.focus_changed)

    def _set_enabled(self, on: bool) -> None:
        for w in (self.tabs, self.annotations, self.library_panel):
            w.setEnabled(on)
        self.class_action.setEnabled(on)

    # ============================================================================================
    # start-up: the library and the model load after the window shows
    # ============================================================================================
    def start(self, *, load_model: bool = True) -> None:
        """Open the library (off the GUI thread), warm jieba, then load the model if one is set."""
        self.statusBar().showMessage(self.tr("正在打开项目库…"))
        self.runner.start(
            "open",
            lambda job: self.wb.open_library(first=True),
            on_done=lambda lib: self._library_opened(lib, load_model),
            on_error=self._library_failed,
        )

    def _library_opened(self, library: Library, load_model: bool) -> None:
        self.projects.library = library
        self._set_enabled(True)
        self.statusBar().clearMessage()
        if library.warnings:
            self.show_message("\n".join(library.warnings))
        self.projects.refresh_tags()
        self.projects.refresh_list()
        last = self.qsettings.value("last_project")
        opened = False
        if last is not None:
            try:
                opened = self.open_project(int(last))
            except (TypeError, ValueError):
                opened = False
        if not opened:
            rows = library.projects.list_projects(1)
            if rows:
                self.open_project(rows[0].id)
            else:
                self.new_project()
        tab = self.qsettings.value("last_tab")
        if tab is not None:
            try:
                self.tabs.setCurrentIndex(int(tab))
            except (TypeError, ValueError):
                pass
        # after the window is usable: it takes a second. Then everything alive (jieba's dictionary
        # above all) leaves the garbage collector's care: a collection walking those objects held
        # the GIL 40-50 ms, a stall of the window in the middle of any job (bench_batch --gui).
        self.wb.analyzer.warm_up_in_background(then=gc.freeze)
        if load_model:
            self.load_model()

    def _library_failed(self, message: str) -> None:
        self.statusBar().clearMessage()
        self.show_message(self.tr("无法打开项目库：") + message)

    def load_model(self) -> None:
        """Load the configured model in the background (the window stays usable meanwhile)."""
        if not self.wb.models.configured_name():
            self.wb.models.state = "none"
            self.update_model_label()
            return
        self.wb.models.state = "loading"
        self.update_model_label()
        self.show_progress(self.tr("加载模型…"), busy=True, slot="load")
        self.runner.start(
            "load",
            lambda job: self.wb.models.load(job.cancel),
            on_done=lambda info: self._model_loaded(),
            on_error=self._model_failed,
        )

    def _model_loaded(self) -> None:
        self.update_model_label()

    def _model_failed(self, message: str) -> None:
        self.update_model_label()
        if message:
            self.show_message(message)

    def update_model_label(self) -> None:
        host = self.wb.models
        name = host.name
        states = {
            "none": self.tr("未设置模型"),
            "idle": self.tr("未加载"),
            "loading": self.tr("加载中…"),
            "ready": self.tr("就绪"),
            "error": self.tr("出错"),
        }
        state = "none" if not name else host.state
        text = states.get(state, state)
        if host.remote:
            self.model_label.setText(
                self.tr("服务器：{0} · {1}").format(name, text) if name else self.tr("未设置服务器")
            )
            self.model_label.setToolTip(
                "\n".join(
                    filter(None, [self.tr("课堂模式：题目、构思和文章会发送到这台服务器。"), host.message])
                )
            )
            return
        self.model_label.setText(self.tr("模型：{0} · {1}").format(name, text) if name else text)
        self.model_label.setToolTip(host.message)

    # ============================================================================================
    # messages and progress
    # ============================================================================================
    def show_message(self, text: str) -> None:
        """A one-line (or few-line) notice above the editor; empty hides it. Never a traceback."""
        self.banner.setText(text)
        self._banner_row.setVisible(bool(text))
        self.banner.setVisible(bool(text))
        if text:
            self.statusBar().showMessage(text.splitlines()[0], 8000)

    def show_progress(
        self, fmt: str, busy: bool = False, value: int = 0, maximum: int = 0, slot: str = "model"
    ) -> None:
        """The status bar's progress, on behalf of ``slot``'s job (the bar is that job's until
        another job shows its own progress)."""
        self._progress_slot = slot
        self.progress.setVisible(True)
        self.progress.setRange(0, 0 if busy else maximum)
        if not busy:
            self.progress.setValue(value)
        self.progress.setFormat(fmt)
        self.progress.setTextVisible(True)

    def hide_progress(self, slot: str) -> None:
        """``slot``'s job has ended (``_busy_changed`` says so for every slot): its progress goes,
        and another job's stays. A model load that ends while a batch critique runs takes its busy
        "加载模型…" away (left animating, it cost the window ~13 % of a core)."""
        if self._progress_slot == slot:
            self.progress.setVisible(False)

    def _busy_changed(self, slot: str, busy: bool) -> None:
        if slot == "model":
            self.stop_button.setVisible(busy)
            self.speed_label.setVisible(busy)
            self.draft_tab.stop_button.setEnabled(busy)
            if busy:
                self._tok_mark = (self.wb.models.tokens, time.monotonic())
                self.speed_label.setText("")
                self._speed_timer.start()
            else:
                self._speed_timer.stop()
        if not busy:
            self.hide_progress(slot)

    def _update_speed(self) -> None:
        tokens, t = self.wb.models.tokens, time.monotonic()
        t0_tokens, t0 = self._tok_mark
        if t > t0 and tokens >= t0_tokens:
            self.speed_label.setText(self.tr("{0:.1f} 词元/秒").format((tokens - t0_tokens) / (t - t0)))
        self._tok_mark = (tokens, t)
        if self.wb.models.state == "loading" or self.wb.models.state == "ready":
            self.update_model_label()

    # ============================================================================================
    # the controllers do the work; the window's API (menus, tests, the app) reaches them here
    # ============================================================================================
    @property
    def library(self) -> Library | None:
        return self.projects.library

    @property
    def project(self) -> Project | None:
        return self.projects.project

    def open_project(self, project_id: int) -> bool:
        return self.projects.open_project(project_id)

    def flush(self) -> bool:
        return self.projects.flush()

    def new_project(self) -> None:
        self.projects.new_project()

    def duplicate_project(self, project_id: int) -> None:
        self.projects.duplicate_project(project_id)

    def trash_project(self, project_id: int) -> None:
        self.projects.trash_project(project_id)

    def untrash_project(self, project_id: int) -> None:
        self.projects.untrash_project(project_id)

    def delete_project(self, project_id: int, *, confirm: bool = True) -> None:
        self.projects.delete_project(project_id, confirm=confirm)

    def generate_thought(self) -> None:
        self.generation.generate_thought()

    def regenerate_section(self, key: str) -> None:
        self.generation.regenerate_section(key)

    def generate_draft(self) -> None:
        self.generation.generate_draft()

    def rewrite_selection(self, instruction: str | None = None) -> None:
        self.generation.rewrite_selection(instruction)

    # ============================================================================================
    # files: import, export, PDF, print
    # ============================================================================================
    # -- files: the FilesController does the work; these stay for the window's API --------------
    def import_paths(self, paths: list[Path]) -> None:
        self.files.import_paths(paths)

    def export_to(self, fmt: str, path: Path) -> None:
        self.files.export_to(fmt, path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() and any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.files.import_paths(paths)

    # ============================================================================================
    # settings and models
    # ============================================================================================
    def open_class_view(self) -> ClassDialog:
        """The class view (one, non-modal), brought to the front."""
        if self.class_dialog is None:
            self.class_dialog = ClassDialog(self, self.classes)
        self.class_dialog.show()
        self.class_dialog.raise_()
        self.class_dialog.activateWindow()
        return self.class_dialog

    def open_settings(self) -> None:
        from writer_app.gui.dialogs import SettingsDialog

        dialog = SettingsDialog(self.wb, self.settings, self, self.runner)
        if self.wb.models.gpu_offload is None:
            self.runner.start(
                "caps",
                lambda job: self.wb.models.capabilities(),
                on_done=lambda info: dialog.set_gpu_offload(bool(info["gpu_offload"])),
                on_error=dialog.gpu_probe_failed,
            )
        if dialog.exec() == SettingsDialog.DialogCode.Accepted:
            self.apply_settings(dialog.result_settings())

    @property
    def settings(self) -> Settings:
        """The app's settings: the workbench holds the one copy."""
        return self.wb.settings

    def apply_settings(self, settings: Settings) -> None:
        try:
            engine_changed = self.wb.apply_settings(settings)
        except WriterAppError as exc:
            self.show_message(str(exc))
            return
        if engine_changed:
            self.runner.drop("load")
            self.runner.drop("model")
            self.load_model()
        self.update_model_label()

    def open_first_run(self, modal: bool = True) -> None:
        """The model chooser; ``modal=False`` at start-up, so the window stays usable beside it."""
        from writer_app.gui.dialogs import FirstRunDialog

        dialog = FirstRunDialog(self.wb, self.runner, self)
        dialog.model_ready.connect(self.use_model)
        if modal:
            dialog.exec()
        else:
            dialog.open()

    def use_model(self, name: str) -> None:
        engine = dataclasses.replace(self.settings.engine, model=name)
        self.apply_settings(dataclasses.replace(self.settings, engine=engine))

    # ============================================================================================
    # closing
    # ============================================================================================
    def closeEvent(self, event: QCloseEvent) -> None:
        if self._closing:
            event.accept()
            return
        self._closing = True
        self.flush()
        if self.generation.stream is not None:
            self.generation.end_stream()
        self.qsettings.setValue("geometry", self.saveGeometry())
        self.qsettings.setValue("state", self.saveState())
        self.qsettings.setValue("last_tab", self.tabs.currentIndex())
        self.qsettings.sync()
        self.runner.shutdown(timeout=3.0)
        self.wb.models.close()
        if self.projects.library is not None:
            self.projects.library.close()
            self.projects.library = None
        event.accept()
