"""The window's project: the library list, opening and autosaving a project, its history and its
annotations.

A controller, not a widget. Each store operation is run through :meth:`ProjectController.op`,
which turns a refused one into a one-line message and returns a :class:`Change` saying what the
operation touched; ``changed`` carries it, and one handler (:meth:`refresh`) brings the list,
the title and the panels up to date. The project and the library live here; the window reads
them through properties. Strings keep the ``MainWindow`` translation context they had there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtWidgets import QInputDialog, QMessageBox

from writer_app.errors import WriterAppError
from writer_app.gui.jobs import Job
from writer_app.gui.listmodels import project_title
from writer_app.gui.panels import TAB_DRAFT, TAB_PROMPT, TAB_THOUGHT, ThoughtTab
from writer_app.gui.widgets import TextEditor

if TYPE_CHECKING:
    from writer_app.analysis.metrics import Analysis
    from writer_app.gui.main_window import MainWindow
    from writer_app.storage.library import Library
    from writer_app.storage.projects import Project, ProjectStore

AUTOSAVE_MS = 1000  # at most this much typing is at risk; the store itself costs < 1 ms
STATS_MS = 300


@dataclass
class _HitRow:
    id: int
    title: str
    query_type: str
    updated: float
    snippet: str


T = TypeVar("T")


@dataclass(frozen=True)
class Change:
    """What a store operation touched, so that one handler refreshes just those views (Anki's
    ``OpChanges``). ``project``: the open project's record (title, list row); ``listing``: which
    projects the list shows; the rest name a panel."""

    project: bool = False
    listing: bool = False
    tags: bool = False
    history: bool = False
    annotations: bool = False
    stats: bool = False


class ProjectController(QObject):
    changed = Signal(object)  # a Change: what a store operation touched

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.library: Library | None = None
        self.project: Project | None = None
        self._dirty: set[str] = set()
        self._annot_editor: TextEditor | None = None
        self._save_timer = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self._save_timer.timeout.connect(self.flush)
        self._stats_timer = QTimer(self, singleShot=True, interval=STATS_MS)
        self._stats_timer.timeout.connect(self.request_stats)
        self.changed.connect(self.refresh)

    # -- store operations and the one refresh ---------------------------------------------------
    def op(self, action: Callable[[ProjectStore], T], change: Change) -> T | None:
        """Run ``action(store)`` on the project store. Refused: its one line is shown and None is
        returned. Done: ``change`` is announced (``changed``) and the action's result returned."""
        if self.library is None:
            return None
        try:
            result = action(self.library.projects)
        except WriterAppError as exc:
            self.w.show_message(str(exc))
            return None
        self.changed.emit(change)
        return result

    def do(self, action: Callable[[ProjectStore], object], change: Change) -> bool:
        """:meth:`op` for an action without a result: whether it was done."""

        def done(store: ProjectStore) -> bool:
            action(store)
            return True

        return bool(self.op(done, change))

    def refresh(self, change: Change) -> None:
        """Bring the views ``change`` names up to date (the one handler of ``changed``)."""
        if change.project and self.project is not None and self.library is not None:
            try:
                self.project = self.library.projects.get(self.project.id)
            except WriterAppError:
                pass  # gone meanwhile (deleted from another window): the list refresh shows it
            else:
                self.w.library_panel.model.update_row(self.project)
                self.w.setWindowTitle(
                    QCoreApplication.translate("MainWindow", "写作伴侣") + " — " + project_title(self.project)
                )
        if change.tags:
            self.refresh_tags()
        if change.listing:
            self.refresh_list()
        if change.history:
            self.refresh_history()
        if change.annotations:
            self.refresh_annotations()
        if change.stats:
            self.request_stats()

    # -- the project list -----------------------------------------------------------------------
    def refresh_list(self) -> None:
        if self.library is None:
            return
        f = self.w.library_panel.filters()
        model = self.w.library_panel.model
        if f["text"]:
            text, qt, tag = f["text"], f["query_type"], f["tag"]

            def work(job: Job) -> list[_HitRow]:
                lib = self.w.wb.open_library()
                try:
                    hits = lib.search.search(text, doc_type="project", query_type=qt, tag=tag, limit=200)
                    rows = []
                    for h in hits:
                        rows.append(_HitRow(h.doc_id, h.title, h.query_type, h.updated, h.snippet))
                    return rows
                finally:
                    lib.close()

            self.w.runner.start(
                "search",
                work,
                on_done=lambda rows: self._show_rows(rows),
                on_error=lambda msg: self.w.show_message(msg) if msg else None,
            )
            return
        self.w.runner.drop("search")
        store = self.library.projects

        def fetch(limit: int, offset: int) -> list[Project]:
            return store.list_projects(
                limit, offset=offset, trashed=f["trashed"], query_type=f["query_type"], tag=f["tag"]
            )

        try:
            model.set_source(fetch)
        except WriterAppError as exc:
            self.w.show_message(str(exc))
            return
        self._after_list()

    def _show_rows(self, rows: list[Any]) -> None:
        self.w.library_panel.model.set_rows(rows)
        self._after_list()

    def _after_list(self) -> None:
        n = self.w.library_panel.model.rowCount()
        more = "+" if self.w.library_panel.model.canFetchMore() else ""
        self.w.library_panel.count.setText(
            QCoreApplication.translate("MainWindow", "{0}{1} 个项目").format(n, more)
        )
        if self.project is not None:
            self.w.library_panel.select_id(self.project.id)

    def refresh_tags(self) -> None:
        if self.library is not None:
            self.w.library_panel.set_tags(self.library.projects.all_tags())

    def focus_search(self) -> None:
        self.w.library_panel.search.setFocus()
        self.w.library_panel.search.selectAll()

    # -- opening, autosaving and the store's operations on projects --------------------------------
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
        self.w.qsettings.setValue("last_project", project.id)
        self.w.qsettings.sync()  # a crash must still reopen this project
        self.w.library_panel.select_id(project.id)
        self.w.project_opened.emit(project.id)
        return True

    def _show_project(self, p: Project) -> None:
        self.w.setWindowTitle(QCoreApplication.translate("MainWindow", "写作伴侣") + " — " + project_title(p))
        self.w.prompt_tab.show_project(p)
        streaming_here = self.w.generation.stream is not None and self.w.generation.stream.project_id == p.id
        for editor, text, tab in (
            (self.w.thought_tab, p.thought, "thought"),
            (self.w.draft_tab.editor, p.answer, "answer"),
        ):
            if (
                streaming_here
                and self.w.generation.stream is not None
                and self.w.generation.stream.field == tab
            ):
                continue
            editor.blockSignals(True)
            if isinstance(editor, ThoughtTab):
                editor.set_markdown(text)
            else:
                editor.setPlainText(text)
            editor.blockSignals(False)
        self._dirty.clear()
        self.w.critique_tab.clear()
        try:
            crits = self.library.projects.critiques(p.id) if self.library is not None else []
        except WriterAppError:
            crits = []
        if crits:
            self.w.critique_tab.show_result(crits[0]["data"])
        self.refresh_history()
        self.refresh_annotations()
        self.request_stats()

    def edited(self, field: str) -> None:
        if self.project is None or self.syncing_stream(field):
            return
        self._dirty.add(field)
        if not self._save_timer.isActive():
            self._save_timer.start()  # not restarted by more typing: at most AUTOSAVE_MS at risk

    def syncing_stream(self, field: str) -> bool:
        return (
            self.w.generation.stream is not None
            and self.w.generation.stream.field == field
            and self.w.generation.stream.project_id == (self.project.id if self.project else -1)
        )

    def draft_edited(self) -> None:
        self.edited("answer")
        self._stats_timer.start()

    def current_text(self, field: str) -> str:
        if field == "query":
            return self.w.prompt_tab.query.toPlainText()
        if field == "thought":
            return self.w.thought_tab.markdown()
        return self.w.draft_tab.editor.toPlainText()

    def flush(self) -> bool:
        """Store what was typed (autosave). False, with a message, if the store refused."""
        self._save_timer.stop()
        if self.project is None or self.library is None or not self._dirty:
            return True
        pid = self.project.id
        saved = set(self._dirty)

        def save(store: ProjectStore) -> bool:
            for field in sorted(saved):
                store.autosave(pid, field, self.current_text(field))
                self._dirty.discard(field)
            return True

        # the thought's and the draft's comments were re-anchored to the new text
        if self.op(save, Change(project=True, annotations=bool(saved & {"thought", "answer"}))) is None:
            self._save_timer.start()  # try again; the text stays in the editor meanwhile
            return False
        return True

    def meta_edited(self) -> None:
        if self.project is None or self.library is None:
            return
        values = {
            "title": self.w.prompt_tab.title.text().strip(),
            "query_type": self.w.prompt_tab.genre_name(),
            "tags": self.w.prompt_tab.tag_list(),
        }
        if (self.project.title, self.project.query_type, sorted(self.project.tags)) == (
            values["title"],
            values["query_type"],
            sorted(set(values["tags"])),
        ):
            return
        pid = self.project.id
        self.op(lambda store: store.update(pid, **values), Change(project=True, tags=True))

    def new_project(self) -> None:
        if self.library is None:
            return
        self.flush()
        genre = self.w.prompt_tab.genre_name() or self.w.wb.genres[0].name
        p = self.op(lambda store: store.create(query_type=genre), Change(listing=True))
        if p is None:
            return
        self.w.library_panel.trash.setChecked(False)  # the new project must be in the list shown
        self.w.library_panel.search.clear()
        self.open_project(p.id)
        self.w.tabs.setCurrentIndex(TAB_PROMPT)
        self.w.prompt_tab.query.setFocus()

    def duplicate_project(self, project_id: int) -> None:
        self.flush()
        suffix = QCoreApplication.translate("MainWindow", "（副本）")
        p = self.op(lambda store: store.duplicate(project_id, suffix), Change(listing=True))
        if p is not None:
            self.open_project(p.id)

    def trash_project(self, project_id: int) -> None:
        self.flush()
        if not self.do(lambda store: store.trash(project_id), Change()):
            return
        self.w.statusBar().showMessage(
            QCoreApplication.translate("MainWindow", "已移到回收站（可在回收站中恢复）"), 5000
        )
        self._after_removal(project_id)

    def untrash_project(self, project_id: int) -> None:
        self.do(lambda store: store.untrash(project_id), Change(listing=True))

    def delete_project(self, project_id: int, *, confirm: bool = True) -> None:
        if confirm:
            answer = QMessageBox.question(
                self.w,
                QCoreApplication.translate("MainWindow", "永久删除"),
                QCoreApplication.translate(
                    "MainWindow", "永久删除这个项目及其全部版本和批注？此操作无法撤销。"
                ),
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        if self.do(lambda store: store.delete(project_id), Change()):
            self._after_removal(project_id)

    def _after_removal(self, project_id: int) -> None:
        """A project left the list; if it was the open one, the next one opens (or a new one)."""
        if self.library is None or self.project is None or self.project.id != project_id:
            self.refresh_list()
            return
        self.project = None
        self._dirty.clear()
        rows = self.library.projects.list_projects(1)
        self.refresh_list()
        if rows:
            self.open_project(rows[0].id)
        else:
            self.new_project()

    def snapshot(self) -> None:
        if self.project is None:
            return
        if not self.flush():
            return
        pid, label = self.project.id, QCoreApplication.translate("MainWindow", "手动快照")
        revs = self.op(lambda store: store.snapshot(pid, label), Change(history=True))
        if revs is not None:
            self.w.statusBar().showMessage(
                QCoreApplication.translate("MainWindow", "已保存快照（{0} 项）").format(len(revs)), 4000
            )

    # -- live stats (off the GUI thread) -----------------------------------------------------------
    def target_chars(self) -> int:
        return int(self.w.prompt_tab.length.value())

    def request_stats(self) -> None:
        text = self.w.draft_tab.editor.toPlainText()
        query = self.w.prompt_tab.query.toPlainText()
        target = self.target_chars()
        wb = self.w.wb
        self.w.runner.start(
            "stats",
            lambda job: wb.analyze(text, query, target),
            on_done=self._show_stats,
            on_error=lambda msg: None,
        )

    def _show_stats(self, a: Analysis) -> None:
        self.w.draft_tab.show_stats(a.chars, a.target_chars, a.paragraphs, len(a.idioms), a.sentences)
        if self.w.critique_tab.suggestions.count() == 0:
            self.w.critique_tab.show_metrics(a.to_dict())

    # -- history -----------------------------------------------------------------------------------
    def refresh_history(self) -> None:
        if self.project is None or self.library is None:
            self.w.history_tab.model.set_rows([])
            return
        self.w.history_tab.model.set_rows(self.library.projects.revisions(self.project.id))
        self.w.history_tab.diff.clear()
        self.w.history_tab.restore_button.setEnabled(False)

    def show_revision_diff(self, revision_id: int) -> None:
        rev = self.w.history_tab.current_revision()
        if rev is None or rev.id != revision_id or self.library is None:
            return
        ops = self.library.projects.diff(self.current_text(rev.field), rev.text)
        self.w.history_tab.show_diff(ops)

    def restore_revision(self, revision_id: int) -> None:
        if self.project is None:
            return
        self.flush()
        rev = self.op(lambda store: store.restore(revision_id), Change(project=True))
        if rev is None:
            return
        editor: Any = {"query": self.w.prompt_tab.query, "thought": None, "answer": self.w.draft_tab.editor}[
            rev.field
        ]
        if editor is None:
            self.w.thought_tab.set_markdown(rev.text, undoable=True)
        else:
            editor.blockSignals(True)
            editor.replace_all_undoably(rev.text)
            editor.blockSignals(False)
        self._dirty.discard(rev.field)
        self.changed.emit(Change(history=True, annotations=True, stats=True))  # the text is shown now
        self.w.statusBar().showMessage(
            QCoreApplication.translate("MainWindow", "已恢复该版本（原文本已存为一个版本）"), 5000
        )

    # -- annotations -------------------------------------------------------------------------------
    def focus_changed(self, _old: Any, new: Any) -> None:
        if new is self.w.thought_tab.raw or new is self.w.draft_tab.editor:
            self._annot_editor = new

    def annotation_target(self) -> tuple[str, TextEditor] | None:
        """The editor whose selection a new comment is about: the page in front of the writer
        (the draft, or the thought's Markdown view), else the last of them that had the focus."""
        raw_shown = self.w.thought_tab.stack.currentIndex() == 1
        tab = self.w.tabs.currentIndex()
        if tab == TAB_DRAFT:
            return "answer", self.w.draft_tab.editor
        if tab == TAB_THOUGHT and raw_shown:
            return "thought", self.w.thought_tab.raw
        ed = self._annot_editor
        if ed is self.w.thought_tab.raw and raw_shown:
            return "thought", ed
        if ed is self.w.draft_tab.editor:
            return "answer", ed
        return None

    def ask_author(self) -> str:
        if self.w.settings.author:
            return self.w.settings.author
        name, ok = QInputDialog.getText(
            self.w,
            QCoreApplication.translate("MainWindow", "批注署名"),
            QCoreApplication.translate("MainWindow", "批注时显示的名字（只问一次，可在设置中修改）："),
        )
        if ok and name.strip():
            settings = dataclasses.replace(self.w.settings, author=name.strip())
            try:
                self.w.wb.apply_settings(settings)
            except WriterAppError as exc:
                self.w.wb.apply_settings(settings, save=False)  # kept for this run
                self.w.show_message(str(exc))
        return self.w.settings.author

    def add_annotation(self, body: str) -> None:
        if self.project is None:
            return
        target = self.annotation_target()
        if target is None:
            self.w.show_message(
                QCoreApplication.translate(
                    "MainWindow", "请先在构思的 Markdown 原文或正文中选中要批注的文字。"
                )
            )
            return
        field, editor = target
        start, end = editor.selection_range()
        if start == end:
            self.w.show_message(QCoreApplication.translate("MainWindow", "请先选中要批注的文字。"))
            return
        author = self.ask_author()
        if not self.flush():
            return
        pid = self.project.id
        if self.op(
            lambda store: store.annotate(pid, field, start, end, body, author), Change(annotations=True)
        ):
            self.w.annotations.comment.clear()
            self.w.annotation_dock.show()

    def resolve_annotation(self, annotation_id: int, resolved: bool) -> None:
        self.do(lambda store: store.resolve(annotation_id, resolved), Change(annotations=True))

    def remove_annotation(self, annotation_id: int) -> None:
        self.do(lambda store: store.remove_annotation(annotation_id), Change(annotations=True))

    def refresh_annotations(self) -> None:
        if self.project is None or self.library is None:
            self.w.annotations.model.set_rows([])
            return
        rows = self.library.projects.annotations(self.project.id)
        self.w.annotations.model.set_rows(rows)
        for field, editor in (("thought", self.w.thought_tab.raw), ("answer", self.w.draft_tab.editor)):
            editor.set_marks(
                [(a.start, a.end, a.resolved) for a in rows if a.field == field and not a.detached]
            )

    def show_annotation(self, annotation_id: int) -> None:
        a = next((r for r in self.w.annotations.model.rows() if r.id == annotation_id), None)
        if a is None or a.detached:
            return
        if a.field == "thought":
            self.w.tabs.setCurrentIndex(TAB_THOUGHT)
            self.w.thought_tab.raw_button.setChecked(True)
            self.w.thought_tab.raw.select_range(a.start, a.end)
        else:
            self.w.tabs.setCurrentIndex(TAB_DRAFT)
            self.w.draft_tab.editor.select_range(a.start, a.end)

    def generated(self, pid: int, field: str) -> None:
        """The generated text is in its editor: the project, its history and comments follow."""
        self._dirty.discard(field)
        if self.project is not None and self.project.id == pid:
            self.changed.emit(Change(project=True, history=True, annotations=True))
