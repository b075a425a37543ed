"""The main window: the library on the left, one project in the centre, annotations on the right.

This is where the panels' signals meet the services: the library (storage), the workbench
(writing steps over the model) and the job runner (everything slow runs off the GUI thread).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDropEvent,
    QKeySequence,
    QShortcut,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from writer_app.config import Settings, save_settings
from writer_app.errors import WriterAppError
from writer_app.gui.critique import CritiqueController
from writer_app.gui.files import EXPORTS, FilesController
from writer_app.gui.jobs import Job, JobRunner
from writer_app.gui.listmodels import project_title
from writer_app.gui.panels import (
    AnnotationPanel,
    CritiqueTab,
    DraftTab,
    HistoryTab,
    LibraryPanel,
    PromptTab,
    ThoughtTab,
)
from writer_app.gui.widgets import TextEditor, qpos
from writer_app.workbench import Workbench, thought_from_text

AUTOSAVE_MS = 1000  # at most this much typing is at risk; the store itself costs < 1 ms
STATS_MS = 300
TAB_PROMPT, TAB_THOUGHT, TAB_DRAFT, TAB_CRITIQUE, TAB_HISTORY = range(5)


@dataclass
class _Stream:
    """A generation streaming into an editor: ``prefix + middle + suffix`` is what is shown."""

    project_id: int
    field: str
    editor: TextEditor
    old: str
    prefix: str
    suffix: str
    middle: str = ""
    started: float = 0.0
    kind: str = "draft"


@dataclass
class _HitRow:
    id: int
    title: str
    query_type: str
    updated: float
    snippet: str


class MainWindow(QMainWindow):
    """One window for the whole workflow. Build it with :func:`writer_app.gui.app.create_window`."""

    project_opened = Signal(int)
    generation_finished = Signal(str, str)  # kind, finish reason ("stop", "cancelled", "error")

    def __init__(self, wb: Workbench, settings: Settings, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.wb = wb
        self.settings = settings
        self.library: Any = None
        self.project: Any = None
        self.runner = JobRunner(self, crash_log=wb.paths.logs_dir / "crash.log")
        self.files = FilesController(self)  # import, export, PDF and print
        self.critic = CritiqueController(self)  # the critique and its suggestions
        self.qsettings = QSettings(str(wb.paths.config_dir / "window.ini"), QSettings.Format.IniFormat)
        self._dirty: set[str] = set()
        self._stream: _Stream | None = None
        self._closing = False
        self._tok_mark = (0, time.monotonic())
        self._annot_editor: TextEditor | None = None
        self.setWindowTitle(self.tr("写作伴侣"))
        self.setAcceptDrops(True)

        # -- panels ---------------------------------------------------------------------------
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

        # -- status bar ---------------------------------------------------------------------
        self.model_label = QLabel()
        self.model_label.setAccessibleName(self.tr("模型状态"))
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(220)
        self.progress.setVisible(False)
        self.progress.setAccessibleName(self.tr("进度"))
        self.speed_label = QLabel()
        self.stop_button = QPushButton(self.tr("停止"))
        self.stop_button.setAccessibleName(self.tr("停止生成"))
        self.stop_button.setVisible(False)
        sb = self.statusBar()
        sb.addPermanentWidget(self.progress)
        sb.addPermanentWidget(self.speed_label)
        sb.addPermanentWidget(self.stop_button)
        sb.addPermanentWidget(self.model_label)

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
    def _build_menus(self) -> None:
        mb = self.menuBar()
        m = mb.addMenu(self.tr("文件(&F)"))
        self.new_action = m.addAction(self.tr("新建项目"), QKeySequence.StandardKey.New, self.new_project)
        self.snapshot_action = m.addAction(self.tr("保存快照"), QKeySequence("Ctrl+S"), self.snapshot)
        m.addSeparator()
        m.addAction(self.tr("导入 COIG-Writer JSON/JSONL 或项目包…"), self.files.ask_import)
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
            export.addAction(names[fmt], lambda f=fmt: self.files.ask_export(f))
        m.addAction(self.tr("打印…"), QKeySequence.StandardKey.Print, self.files.print_)
        m.addSeparator()
        m.addAction(self.tr("设置…"), self.open_settings)
        m.addAction(self.tr("选择模型…"), self.open_first_run)
        m.addSeparator()
        m.addAction(self.tr("退出"), QKeySequence.StandardKey.Quit, self.close)
        g = mb.addMenu(self.tr("生成(&G)"))
        self.generate_action = g.addAction(
            self.tr("生成（按当前页）"), QKeySequence("Ctrl+Return"), self.generate
        )
        g.addAction(self.tr("生成构思"), self.generate_thought)
        g.addAction(self.tr("按构思生成正文"), self.generate_draft)
        g.addAction(self.tr("点评正文"), self.run_critique)
        self.stop_action = g.addAction(self.tr("停止"), QKeySequence(Qt.Key.Key_Escape), self.stop)
        v = mb.addMenu(self.tr("视图(&V)"))
        toggle = self.annotation_dock.toggleViewAction()
        toggle.setText(self.tr("批注面板"))
        toggle.setShortcut(QKeySequence("Ctrl+Shift+A"))
        v.addAction(toggle)
        find = QAction(self.tr("搜索项目"), self)
        find.setShortcut(QKeySequence.StandardKey.Find)
        find.triggered.connect(self._focus_search)
        v.addAction(find)
        # Ctrl+Enter also works where the editor would otherwise take the key
        QShortcut(QKeySequence("Ctrl+Enter"), self, self.generate)

    def _wire(self) -> None:
        lp = self.library_panel
        lp.project_selected.connect(self.open_project)
        lp.filters_changed.connect(self.refresh_list)
        lp.new_requested.connect(self.new_project)
        lp.duplicate_requested.connect(self.duplicate_project)
        lp.trash_requested.connect(self.trash_project)
        lp.untrash_requested.connect(self.untrash_project)
        lp.delete_requested.connect(self.delete_project)
        self.prompt_tab.edited.connect(lambda: self._edited("query"))
        self.prompt_tab.meta_edited.connect(self._meta_edited)
        self.prompt_tab.generate_requested.connect(self.generate_thought)
        self.thought_tab.edited.connect(lambda: self._edited("thought"))
        self.thought_tab.generate_requested.connect(self.generate_thought)
        self.thought_tab.regenerate_requested.connect(self.regenerate_section)
        self.draft_tab.edited.connect(self._draft_edited)
        self.draft_tab.generate_requested.connect(self.generate_draft)
        self.draft_tab.continue_requested.connect(self.continue_draft)
        self.draft_tab.rewrite_requested.connect(self.rewrite_selection)
        self.draft_tab.stop_requested.connect(self.stop)
        self.critique_tab.critique_requested.connect(self.run_critique)
        self.critique_tab.suggestion_clicked.connect(self.show_quote)
        self.critique_tab.rewrite_requested.connect(self.apply_suggestion)
        self.history_tab.revision_selected.connect(self._show_revision_diff)
        self.history_tab.restore_requested.connect(self.restore_revision)
        self.history_tab.snapshot_button.clicked.connect(self.snapshot)
        self.annotations.add_requested.connect(self.add_annotation)
        self.annotations.resolve_requested.connect(self.resolve_annotation)
        self.annotations.remove_requested.connect(self.remove_annotation)
        self.annotations.annotation_clicked.connect(self.show_annotation)
        self.stop_button.clicked.connect(self.stop)
        self.runner.busy_changed.connect(self._busy_changed)
        self._save_timer = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self._save_timer.timeout.connect(self.flush)
        self._stats_timer = QTimer(self, singleShot=True, interval=STATS_MS)
        self._stats_timer.timeout.connect(self.request_stats)
        self._speed_timer = QTimer(self, interval=1000)
        self._speed_timer.timeout.connect(self._update_speed)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._focus_changed)

    def _set_enabled(self, on: bool) -> None:
        for w in (self.tabs, self.annotations, self.library_panel):
            w.setEnabled(on)

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

    def _library_opened(self, library: Any, load_model: bool) -> None:
        self.library = library
        self._set_enabled(True)
        self.statusBar().clearMessage()
        if library.warnings:
            self.show_message("\n".join(library.warnings))
        self.refresh_tags()
        self.refresh_list()
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
        self.wb.analyzer.warm_up_in_background()  # after the window is usable: it takes a second
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
        self._show_progress(self.tr("加载模型…"), busy=True)
        self.runner.start(
            "load",
            lambda job: self.wb.models.load(job.cancel),
            on_done=lambda info: self._model_loaded(),
            on_error=self._model_failed,
        )

    def _model_loaded(self) -> None:
        self._hide_progress_unless_busy()
        self.update_model_label()

    def _model_failed(self, message: str) -> None:
        self._hide_progress_unless_busy()
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

    def _show_progress(self, fmt: str, busy: bool = False, value: int = 0, maximum: int = 0) -> None:
        self.progress.setVisible(True)
        self.progress.setRange(0, 0 if busy else maximum)
        if not busy:
            self.progress.setValue(value)
        self.progress.setFormat(fmt)
        self.progress.setTextVisible(True)

    def _hide_progress_unless_busy(self) -> None:
        if not self.runner.busy("model") and not self.runner.busy("load"):
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
                self._hide_progress_unless_busy()
        elif slot == "load" and not busy:
            self._hide_progress_unless_busy()

    def _update_speed(self) -> None:
        tokens, t = self.wb.models.tokens, time.monotonic()
        t0_tokens, t0 = self._tok_mark
        if t > t0 and tokens >= t0_tokens:
            self.speed_label.setText(self.tr("{0:.1f} 词元/秒").format((tokens - t0_tokens) / (t - t0)))
        self._tok_mark = (tokens, t)
        if self.wb.models.state == "loading" or self.wb.models.state == "ready":
            self.update_model_label()

    # ============================================================================================
    # the project list
    # ============================================================================================
    def refresh_list(self) -> None:
        if self.library is None:
            return
        f = self.library_panel.filters()
        model = self.library_panel.model
        if f["text"]:
            text, qt, tag = f["text"], f["query_type"], f["tag"]

            def work(job: Job) -> list[_HitRow]:
                lib = self.wb.open_library()
                try:
                    hits = lib.search.search(text, doc_type="project", query_type=qt, tag=tag, limit=200)
                    rows = []
                    for h in hits:
                        rows.append(_HitRow(h.doc_id, h.title, h.query_type, h.updated, h.snippet))
                    return rows
                finally:
                    lib.close()

            self.runner.start(
                "search",
                work,
                on_done=lambda rows: self._show_rows(rows),
                on_error=lambda msg: self.show_message(msg) if msg else None,
            )
            return
        self.runner.drop("search")
        store = self.library.projects

        def fetch(limit: int, offset: int) -> list[Any]:
            return store.list_projects(
                limit, offset=offset, trashed=f["trashed"], query_type=f["query_type"], tag=f["tag"]
            )

        try:
            model.set_source(fetch)
        except WriterAppError as exc:
            self.show_message(str(exc))
            return
        self._after_list()

    def _show_rows(self, rows: list[Any]) -> None:
        self.library_panel.model.set_rows(rows)
        self._after_list()

    def _after_list(self) -> None:
        n = self.library_panel.model.rowCount()
        more = "+" if self.library_panel.model.canFetchMore() else ""
        self.library_panel.count.setText(self.tr("{0}{1} 个项目").format(n, more))
        if self.project is not None:
            self.library_panel.select_id(self.project.id)

    def refresh_tags(self) -> None:
        if self.library is not None:
            self.library_panel.set_tags(self.library.projects.all_tags())

    def _focus_search(self) -> None:
        self.library_panel.search.setFocus()
        self.library_panel.search.selectAll()

    # ============================================================================================
    # opening and saving a project
    # ============================================================================================
    def open_project(self, project_id: int) -> bool:
        if self.library is None:
            return False
        if self.project is not None and self.project.id == project_id:
            return True
        self.flush()
        try:
            project = self.library.projects.get(project_id)
        except WriterAppError:
            return False
        self.project = project
        self._show_project(project)
        self.qsettings.setValue("last_project", project.id)
        self.qsettings.sync()  # a crash must still reopen this project
        self.library_panel.select_id(project.id)
        self.project_opened.emit(project.id)
        return True

    def _show_project(self, p: Any) -> None:
        self.setWindowTitle(self.tr("写作伴侣") + " — " + project_title(p))
        self.prompt_tab.show_project(p)
        streaming_here = self._stream is not None and self._stream.project_id == p.id
        for editor, text, tab in (
            (self.thought_tab, p.thought, "thought"),
            (self.draft_tab.editor, p.answer, "answer"),
        ):
            if streaming_here and self._stream is not None and self._stream.field == tab:
                continue
            editor.blockSignals(True)
            if isinstance(editor, ThoughtTab):
                editor.set_markdown(text)
            else:
                editor.setPlainText(text)
            editor.blockSignals(False)
        self._dirty.clear()
        self.critique_tab.clear()
        try:
            crits = self.library.projects.critiques(p.id)
        except WriterAppError:
            crits = []
        if crits:
            self.critique_tab.show_result(crits[0]["data"])
        self.refresh_history()
        self.refresh_annotations()
        self.request_stats()

    def _edited(self, field: str) -> None:
        if self.project is None or self._syncing_stream(field):
            return
        self._dirty.add(field)
        if not self._save_timer.isActive():
            self._save_timer.start()  # not restarted by more typing: at most AUTOSAVE_MS at risk

    def _syncing_stream(self, field: str) -> bool:
        return (
            self._stream is not None
            and self._stream.field == field
            and self._stream.project_id == (self.project.id if self.project else -1)
        )

    def _draft_edited(self) -> None:
        self._edited("answer")
        self._stats_timer.start()

    def current_text(self, field: str) -> str:
        if field == "query":
            return self.prompt_tab.query.toPlainText()
        if field == "thought":
            return self.thought_tab.markdown()
        return self.draft_tab.editor.toPlainText()

    def flush(self) -> bool:
        """Store what was typed (autosave). False, with a message, if the store refused."""
        self._save_timer.stop()
        if self.project is None or self.library is None or not self._dirty:
            return True
        pid = self.project.id
        saved = set(self._dirty)
        try:
            for field in sorted(saved):
                self.library.projects.autosave(pid, field, self.current_text(field))
                self._dirty.discard(field)
        except WriterAppError as exc:
            self.show_message(str(exc))
            self._save_timer.start()  # try again; the text stays in the editor meanwhile
            return False
        self.project = self.library.projects.get(pid)
        self.library_panel.model.update_row(self.project)
        if saved & {"thought", "answer"}:  # their comments were re-anchored to the new text
            self.refresh_annotations()
        return True

    def _meta_edited(self) -> None:
        if self.project is None or self.library is None:
            return
        values = {
            "title": self.prompt_tab.title.text().strip(),
            "query_type": self.prompt_tab.genre_name(),
            "tags": self.prompt_tab.tag_list(),
        }
        if (self.project.title, self.project.query_type, sorted(self.project.tags)) == (
            values["title"],
            values["query_type"],
            sorted(set(values["tags"])),
        ):
            return
        try:
            self.project = self.library.projects.update(self.project.id, **values)
        except WriterAppError as exc:
            self.show_message(str(exc))
            return
        self.library_panel.model.update_row(self.project)
        self.refresh_tags()

    def new_project(self) -> None:
        if self.library is None:
            return
        self.flush()
        genre = self.prompt_tab.genre_name() or self.wb.genres[0].name
        try:
            p = self.library.projects.create(query_type=genre)
        except WriterAppError as exc:
            self.show_message(str(exc))
            return
        self.library_panel.trash.setChecked(False)
        self.library_panel.search.clear()
        self.refresh_list()
        self.open_project(p.id)
        self.tabs.setCurrentIndex(TAB_PROMPT)
        self.prompt_tab.query.setFocus()

    def duplicate_project(self, project_id: int) -> None:
        self.flush()
        try:
            p = self.library.projects.duplicate(project_id, self.tr("（副本）"))
        except WriterAppError as exc:
            self.show_message(str(exc))
            return
        self.refresh_list()
        self.open_project(p.id)

    def trash_project(self, project_id: int) -> None:
        self.flush()
        try:
            self.library.projects.trash(project_id)
        except WriterAppError as exc:
            self.show_message(str(exc))
            return
        self.statusBar().showMessage(self.tr("已移到回收站（可在回收站中恢复）"), 5000)
        self._after_removal(project_id)

    def untrash_project(self, project_id: int) -> None:
        try:
            self.library.projects.untrash(project_id)
        except WriterAppError as exc:
            self.show_message(str(exc))
            return
        self.refresh_list()

    def delete_project(self, project_id: int, *, confirm: bool = True) -> None:
        if confirm:
            answer = QMessageBox.question(
                self, self.tr("永久删除"), self.tr("永久删除这个项目及其全部版本和批注？此操作无法撤销。")
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        try:
            self.library.projects.delete(project_id)
        except WriterAppError as exc:
            self.show_message(str(exc))
            return
        self._after_removal(project_id)

    def _after_removal(self, project_id: int) -> None:
        if self.project is not None and self.project.id == project_id:
            self.project = None
            self._dirty.clear()
            rows = self.library.projects.list_projects(1)
            self.refresh_list()
            if rows:
                self.open_project(rows[0].id)
            else:
                self.new_project()
        else:
            self.refresh_list()

    def snapshot(self) -> None:
        if self.project is None:
            return
        if not self.flush():
            return
        try:
            revs = self.library.projects.snapshot(self.project.id, self.tr("手动快照"))
        except WriterAppError as exc:
            self.show_message(str(exc))
            return
        self.statusBar().showMessage(self.tr("已保存快照（{0} 项）").format(len(revs)), 4000)
        self.refresh_history()

    # ============================================================================================
    # live stats (off the GUI thread)
    # ============================================================================================
    def target_chars(self) -> int:
        return int(self.prompt_tab.length.value())

    def request_stats(self) -> None:
        text = self.draft_tab.editor.toPlainText()
        query = self.prompt_tab.query.toPlainText()
        target = self.target_chars()
        wb = self.wb
        self.runner.start(
            "stats",
            lambda job: wb.analyze(text, query, target),
            on_done=self._show_stats,
            on_error=lambda msg: None,
        )

    def _show_stats(self, a: Any) -> None:
        self.draft_tab.show_stats(a.chars, a.target_chars, a.paragraphs, len(a.idioms), a.sentences)
        if self.critique_tab.suggestions.count() == 0:
            self.critique_tab.show_metrics(a.to_dict())

    # ============================================================================================
    # generation
    # ============================================================================================
    def generate(self) -> None:
        """Ctrl+Enter: the step that fits the page in front of the writer."""
        tab = self.tabs.currentIndex()
        if tab in (TAB_PROMPT, TAB_THOUGHT):
            self.generate_thought()
        elif tab == TAB_DRAFT:
            self.generate_draft()
        elif tab == TAB_CRITIQUE:
            self.run_critique()

    def stop(self) -> None:
        if self.runner.cancel("model"):
            self.statusBar().showMessage(self.tr("正在停止…"), 3000)

    def _ready_for_model(self) -> bool:
        if self.project is None:
            return False
        if self.runner.busy("model"):
            self.show_message(self.tr("模型正在工作，请等它完成或按 Esc 停止。"))
            return False
        if not self.wb.models.configured_name():
            self.show_message(
                self.tr(
                    "还没有设置模型：请在“文件 → 选择模型…”中选择或安装。没有模型时仍可写作、分析、批注和导出。"
                )
            )
            return False
        self.flush()
        self.show_message("")
        return True

    def _context(self) -> tuple[str, Any, int]:
        genre = self.wb.genre(self.prompt_tab.genre_name())
        return self.prompt_tab.query.toPlainText(), genre, self.target_chars()

    def _model_failed_job(self, kind: str) -> Callable[[str], None]:
        return lambda message: self._generation_failed(kind, message)

    def _generation_failed(self, kind: str, message: str) -> None:
        """A generation ended without a result: one line if it failed, a note if it was stopped."""
        self.progress.setVisible(False)
        if message:
            self.show_message(message)
            if self.wb.models.state == "loading":
                self.wb.models.state = "error"
        else:
            self.statusBar().showMessage(self.tr("已停止"), 4000)
        self.update_model_label()
        self.generation_finished.emit(kind, "error" if message else "cancelled")

    def _writing_context(self) -> tuple[str, Any, int] | None:
        """(prompt, genre, target) when the model may start on this project; else a message."""
        if not self._ready_for_model():
            return None
        query, genre, target = self._context()
        if not query.strip():
            self.show_message(self.tr("请先填写题目。"))
            self.tabs.setCurrentIndex(TAB_PROMPT)
            return None
        return query, genre, target

    def generate_thought(self) -> None:
        ctx = self._writing_context()
        if ctx is None:
            return
        query, genre, target = ctx
        pid = self.project.id
        wb = self.wb
        started = time.monotonic()

        def work(job: Job) -> str:
            exemplar, _problem = wb.exemplar(query, genre)  # the outline does not need one
            return wb.outline(query, genre, target, job.cancel, exemplar, on_event=job.emit).to_markdown()

        self._show_progress(self.tr("构思中…"), busy=True)
        self.tabs.setCurrentIndex(TAB_THOUGHT)
        self.thought_tab.begin_stream()
        self.runner.start(
            "model",
            work,
            on_event=lambda evs: self._thought_events(pid, evs),
            on_done=lambda md: self._thought_done(pid, md, "outline", "", started),
            on_error=self._thought_failed("outline"),
        )

    def regenerate_section(self, key: str) -> None:
        ctx = self._writing_context()
        if ctx is None:
            return
        query, genre, target = ctx
        pid = self.project.id
        thought = thought_from_text(self.thought_tab.markdown())
        wb = self.wb
        started = time.monotonic()
        self._show_progress(self.tr("重写这一部分…"), busy=True)
        self.thought_tab.begin_stream((key,))
        self.runner.start(
            "model",
            lambda job: wb.regenerate_section(
                query, genre, thought, key, target, job.cancel, on_event=job.emit
            ).to_markdown(),
            on_event=lambda evs: self._thought_events(pid, evs),
            on_done=lambda md: self._thought_done(pid, md, "section", key, started),
            on_error=self._thought_failed("section"),
        )

    def _thought_events(self, pid: int, events: list[Any]) -> None:
        """A 构思 streaming in: each section box shows its text as soon as it exists."""
        if self.project is None or self.project.id != pid:
            return
        for ev in events:
            if ev.kind == "section":
                self.thought_tab.show_streamed(ev.key, ev.text)
            elif ev.kind == "notice":
                self.statusBar().showMessage(ev.text, 6000)

    def _thought_failed(self, kind: str) -> Callable[[str], None]:
        """A failed or stopped 构思: the streamed boxes give way to the text as it was."""
        failed = self._model_failed_job(kind)

        def handler(message: str) -> None:
            self.thought_tab.end_stream()
            failed(message)

        return handler

    def _save_generation(
        self, pid: int, kind: str, field: str, text: str, label: str, stats: dict[str, Any]
    ) -> bool:
        """Store what the model wrote (log + revision), as the CLI does. False when nothing was stored."""
        _query, genre, target = self._context()
        try:
            rev = self.wb.record_generation(
                self.library, pid, kind, field, text, stats, label, query_type=genre.name, target_chars=target
            )
        except WriterAppError as exc:
            self.show_message(str(exc))
            return False
        return rev is not None

    def _generation_shown(self, pid: int, field: str) -> None:
        """The generated text is in its editor: the project, its history and comments follow."""
        self._dirty.discard(field)
        self.project = self.library.projects.get(pid)
        self.refresh_history()
        self.refresh_annotations()

    def _thought_done(self, pid: int, md: str, kind: str, label: str, started: float) -> None:
        self.progress.setVisible(False)
        stats = {"seconds": round(time.monotonic() - started, 1)}
        self._save_generation(pid, kind, "thought", md, label or self.tr("构思"), stats)
        self.thought_tab.end_stream()
        if self.project is not None and self.project.id == pid:
            self.thought_tab.set_markdown(md, undoable=True)
            self._generation_shown(pid, "thought")
        self.update_model_label()
        self.generation_finished.emit(kind, "stop")

    # -- streamed generations: draft, continue, rewrite -------------------------------------------
    def generate_draft(self) -> None:
        ctx = self._writing_context()
        if ctx is None:
            return
        query, genre, target = ctx
        thought = thought_from_text(self.thought_tab.markdown())
        wb = self.wb
        self.tabs.setCurrentIndex(TAB_DRAFT)
        self._begin_stream("draft", "", "", lambda job: wb.draft(query, thought, genre, target, job.cancel))

    def continue_draft(self) -> None:
        if not self._ready_for_model():
            return
        query, genre, _target = self._context()
        editor = self.draft_tab.editor
        text = editor.toPlainText()
        _s, end = editor.selection_range()
        before, after = text[:end], text[end:]
        thought = thought_from_text(self.thought_tab.markdown())
        wb = self.wb
        self._begin_stream(
            "continue",
            before,
            after,
            lambda job: wb.continue_text(query or "续写", thought, genre, before, job.cancel),
        )

    def rewrite_selection(self, instruction: str | None = None) -> None:
        editor = self.draft_tab.editor
        start, end = editor.selection_range()
        if start == end:
            self.show_message(self.tr("请先在正文中选中要改写的文字。"))
            return
        if instruction is None:
            instruction, ok = QInputDialog.getText(
                self, self.tr("改写选中文字"), self.tr("改写要求（例如：更生动 / 压缩到100字）：")
            )
            if not ok:
                return
        if not instruction.strip():
            self.show_message(self.tr("改写要求为空。"))
            return
        if not self._ready_for_model():
            return
        text = editor.toPlainText()
        before, passage, after = text[:start], text[start:end], text[end:]
        wb = self.wb
        self._begin_stream(
            "rewrite", before, after, lambda job: wb.rewrite(passage, instruction, before, after, job.cancel)
        )

    def _begin_stream(self, kind: str, prefix: str, suffix: str, events: Callable[[Job], Any]) -> None:
        editor = self.draft_tab.editor
        old = editor.toPlainText()
        self._stream = _Stream(
            self.project.id, "answer", editor, old, prefix, suffix, started=time.monotonic(), kind=kind
        )
        editor.setUndoRedoEnabled(False)  # the whole generation becomes one undo step at the end
        self.draft_tab.set_generating(True)
        if kind == "draft":
            editor.setPlainText("")
        self._show_progress(self.tr("生成中…"), busy=True)

        def work(job: Job) -> Any:
            result = None
            for ev in events(job):
                if ev.kind == "done":
                    result = ev.result
                else:
                    job.emit(ev)
            return result

        self.runner.start(
            "model",
            work,
            on_event=self._stream_events,
            on_done=self._stream_done,
            on_error=self._stream_failed,
        )

    def _stream_events(self, events: list[Any]) -> None:
        s = self._stream
        if s is None:
            return
        middle = s.middle
        for ev in events:
            if ev.kind == "progress":
                if ev.total > 1:
                    self._show_progress(
                        self.tr("第{0}/{1}部分").format(ev.index, ev.total),
                        value=ev.index - 1,
                        maximum=ev.total,
                    )
            elif ev.kind == "text":
                middle += ev.text
            elif ev.kind == "warning":
                self.statusBar().showMessage(ev.text, 6000)
        self._show_middle(middle)

    def _show_middle(self, middle: str) -> None:
        """Show the streamed text: appended in place when it only grew (the common case)."""
        s = self._stream
        if s is None or self.project is None or self.project.id != s.project_id:
            if s is not None:
                s.middle = middle
            return
        doc_text_start = qpos(s.prefix, len(s.prefix))
        cur = QTextCursor(s.editor.document())
        s.editor.blockSignals(True)
        try:
            if s.kind == "draft" and s.editor.toPlainText() != s.middle:
                s.editor.setPlainText(middle)  # first show after switching back to this project
            elif middle.startswith(s.middle):
                cur.setPosition(doc_text_start + qpos(s.middle, len(s.middle)))
                cur.insertText(middle[len(s.middle) :])
            else:
                cur.setPosition(doc_text_start)
                cur.setPosition(
                    doc_text_start + qpos(s.middle, len(s.middle)), QTextCursor.MoveMode.KeepAnchor
                )
                cur.insertText(middle)
        finally:
            s.editor.blockSignals(False)
        s.middle = middle
        bar = s.editor.verticalScrollBar()
        if s.kind == "draft":
            bar.setValue(bar.maximum())

    def _end_stream(self) -> _Stream | None:
        s, self._stream = self._stream, None
        self.draft_tab.set_generating(False)
        self.progress.setVisible(False)
        if s is not None:
            s.editor.blockSignals(True)
            if self.project is not None and self.project.id == s.project_id:
                s.editor.setPlainText(s.old)
            s.editor.setUndoRedoEnabled(True)
            s.editor.blockSignals(False)
        return s

    def _stream_done(self, result: Any) -> None:
        s = self._end_stream()
        if s is None or result is None:
            return
        if s.kind == "draft":
            new = result.answer
        else:
            piece = result.parts[0].text if result.parts else ""
            new = s.prefix + piece + s.suffix
        cancelled = result.finish_reason == "cancelled"
        labels = {"draft": self.tr("正文"), "continue": self.tr("续写"), "rewrite": self.tr("改写")}
        label = labels.get(s.kind, s.kind) + (self.tr("（已停止，保留已写部分）") if cancelled else "")
        stats = {
            "chars": result.chars,
            "target_chars": result.target_chars,
            "finish_reason": result.finish_reason,
            "seconds": round(time.monotonic() - s.started, 1),
            # what the guard kept out of the text, and why; a length the draft missed
            "warnings": result.warnings,
            "dropped": result.dropped,
        }
        stored = self._save_generation(s.project_id, s.kind, "answer", new, label, stats)
        # nothing written (stopped at once): the editor keeps the text it had before
        if stored and self.project is not None and self.project.id == s.project_id:
            s.editor.blockSignals(True)
            s.editor.replace_all_undoably(new)  # Ctrl+Z returns to the text before the generation
            s.editor.blockSignals(False)
            self._generation_shown(s.project_id, "answer")
            self.request_stats()
        if cancelled:
            self.statusBar().showMessage(self.tr("已停止，保留已写部分"), 5000)
        elif result.warnings:
            self.show_message(result.warnings[-1])  # e.g. a draft outside ±15 % of its length, and why
        self.update_model_label()
        self.generation_finished.emit(s.kind, "cancelled" if cancelled else "stop")

    def _stream_failed(self, message: str) -> None:
        s = self._end_stream()  # the text goes back to what it was before the generation
        self._generation_failed(s.kind if s else "draft", message)

    # -- critique: the CritiqueController does the work; these stay for the window's API ---------
    def run_critique(self) -> None:
        self.critic.run()

    def apply_suggestion(self, quote: str, instruction: str) -> None:
        self.critic.apply_suggestion(quote, instruction)

    def show_quote(self, quote: str) -> None:
        self.critic.show_quote(quote)

    # ============================================================================================
    # history
    # ============================================================================================
    def refresh_history(self) -> None:
        if self.project is None or self.library is None:
            self.history_tab.model.set_rows([])
            return
        self.history_tab.model.set_rows(self.library.projects.revisions(self.project.id))
        self.history_tab.diff.clear()
        self.history_tab.restore_button.setEnabled(False)

    def _show_revision_diff(self, revision_id: int) -> None:
        rev = self.history_tab.current_revision()
        if rev is None or rev.id != revision_id:
            return
        ops = self.library.projects.diff(self.current_text(rev.field), rev.text)
        self.history_tab.show_diff(ops)

    def restore_revision(self, revision_id: int) -> None:
        if self.project is None:
            return
        self.flush()
        try:
            rev = self.library.projects.restore(revision_id)
        except WriterAppError as exc:
            self.show_message(str(exc))
            return
        self.project = self.library.projects.get(self.project.id)
        editor: Any = {"query": self.prompt_tab.query, "thought": None, "answer": self.draft_tab.editor}[
            rev.field
        ]
        if editor is None:
            self.thought_tab.set_markdown(rev.text, undoable=True)
        else:
            editor.blockSignals(True)
            editor.replace_all_undoably(rev.text)
            editor.blockSignals(False)
        self._dirty.discard(rev.field)
        self.refresh_history()
        self.refresh_annotations()
        self.request_stats()
        self.statusBar().showMessage(self.tr("已恢复该版本（原文本已存为一个版本）"), 5000)

    # ============================================================================================
    # annotations
    # ============================================================================================
    def _focus_changed(self, _old: Any, new: Any) -> None:
        if new is self.thought_tab.raw or new is self.draft_tab.editor:
            self._annot_editor = new

    def annotation_target(self) -> tuple[str, TextEditor] | None:
        """The editor whose selection a new comment is about: the page in front of the writer
        (the draft, or the thought's Markdown view), else the last of them that had the focus."""
        raw_shown = self.thought_tab.stack.currentIndex() == 1
        tab = self.tabs.currentIndex()
        if tab == TAB_DRAFT:
            return "answer", self.draft_tab.editor
        if tab == TAB_THOUGHT and raw_shown:
            return "thought", self.thought_tab.raw
        ed = self._annot_editor
        if ed is self.thought_tab.raw and raw_shown:
            return "thought", ed
        if ed is self.draft_tab.editor:
            return "answer", ed
        return None

    def ask_author(self) -> str:
        if self.settings.author:
            return self.settings.author
        name, ok = QInputDialog.getText(
            self, self.tr("批注署名"), self.tr("批注时显示的名字（只问一次，可在设置中修改）：")
        )
        if ok and name.strip():
            self.settings = dataclasses.replace(self.settings, author=name.strip())
            try:
                save_settings(self.wb.paths.settings_file, self.settings)
            except WriterAppError as exc:
                self.show_message(str(exc))
        return self.settings.author

    def add_annotation(self, body: str) -> None:
        if self.project is None:
            return
        target = self.annotation_target()
        if target is None:
            self.show_message(self.tr("请先在构思的 Markdown 原文或正文中选中要批注的文字。"))
            return
        field, editor = target
        start, end = editor.selection_range()
        if start == end:
            self.show_message(self.tr("请先选中要批注的文字。"))
            return
        author = self.ask_author()
        if not self.flush():
            return
        try:
            self.library.projects.annotate(self.project.id, field, start, end, body, author)
        except WriterAppError as exc:
            self.show_message(str(exc))
            return
        self.annotations.comment.clear()
        self.annotation_dock.show()
        self.refresh_annotations()

    def resolve_annotation(self, annotation_id: int, resolved: bool) -> None:
        try:
            self.library.projects.resolve(annotation_id, resolved)
        except WriterAppError as exc:
            self.show_message(str(exc))
        self.refresh_annotations()

    def remove_annotation(self, annotation_id: int) -> None:
        try:
            self.library.projects.remove_annotation(annotation_id)
        except WriterAppError as exc:
            self.show_message(str(exc))
        self.refresh_annotations()

    def refresh_annotations(self) -> None:
        if self.project is None or self.library is None:
            self.annotations.model.set_rows([])
            return
        rows = self.library.projects.annotations(self.project.id)
        self.annotations.model.set_rows(rows)
        for field, editor in (("thought", self.thought_tab.raw), ("answer", self.draft_tab.editor)):
            editor.set_marks(
                [(a.start, a.end, a.resolved) for a in rows if a.field == field and not a.detached]
            )

    def show_annotation(self, annotation_id: int) -> None:
        a = next((r for r in self.annotations.model.rows() if r.id == annotation_id), None)
        if a is None or a.detached:
            return
        if a.field == "thought":
            self.tabs.setCurrentIndex(TAB_THOUGHT)
            self.thought_tab.raw_button.setChecked(True)
            self.thought_tab.raw.select_range(a.start, a.end)
        else:
            self.tabs.setCurrentIndex(TAB_DRAFT)
            self.draft_tab.editor.select_range(a.start, a.end)

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

    def apply_settings(self, settings: Settings) -> None:
        engine_changed = settings.engine != self.settings.engine or self.wb.models.key_changed()
        try:
            save_settings(self.wb.paths.settings_file, settings)
        except WriterAppError as exc:
            self.show_message(str(exc))
            return
        self.settings = settings
        self.wb.settings = settings
        if engine_changed:
            self.runner.drop("load")
            self.runner.drop("model")
            self.wb.models.reconfigure(settings)
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
        if self._stream is not None:
            self._end_stream()
        self.qsettings.setValue("geometry", self.saveGeometry())
        self.qsettings.setValue("state", self.saveState())
        self.qsettings.setValue("last_tab", self.tabs.currentIndex())
        self.qsettings.sync()
        self.runner.shutdown(timeout=3.0)
        self.wb.models.close()
        if self.library is not None:
            self.library.close()
            self.library = None
        event.accept()
