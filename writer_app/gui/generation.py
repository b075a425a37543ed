"""The window's model steps: the 构思 (whole, or one section again), and the draft, continue and
rewrite streams into the editor.

A controller, not a widget: each step runs in the window's ``model`` job slot through the
``Workbench``, exactly as the CLI runs it, and what the model wrote is kept through
``Workbench.record_generation``. A streamed text is shown as ``prefix + middle + suffix`` and
becomes one undo step when it ends; a stopped or failed one puts the text back as it was.
Strings keep the ``MainWindow`` translation context they had there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QInputDialog

from writer_app.errors import WriterAppError
from writer_app.gui.jobs import Job
from writer_app.gui.panels import TAB_CRITIQUE, TAB_DRAFT, TAB_PROMPT, TAB_THOUGHT
from writer_app.gui.widgets import TextEditor, qpos
from writer_app.workbench import thought_from_text

if TYPE_CHECKING:
    from writer_app.domain import Genre, Thought
    from writer_app.gui.main_window import MainWindow
    from writer_app.storage.projects import Project
    from writer_app.writing.draft import DraftEvent, DraftResult
    from writer_app.writing.outline import OutlineEvent


@dataclass
class Stream:
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


class GenerationController(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.stream: Stream | None = None  # the generation streaming into the draft, if any

    # -- starting a step: is the model free, is there a prompt -------------------------------------
    def generate(self) -> None:
        """Ctrl+Enter: the step that fits the page in front of the writer."""
        tab = self.w.tabs.currentIndex()
        if tab in (TAB_PROMPT, TAB_THOUGHT):
            self.generate_thought()
        elif tab == TAB_DRAFT:
            self.generate_draft()
        elif tab == TAB_CRITIQUE:
            self.w.critic.run()

    def stop(self) -> None:
        if self.w.runner.cancel("model"):
            self.w.statusBar().showMessage(QCoreApplication.translate("MainWindow", "正在停止…"), 3000)

    def ready_for_model(self) -> Project | None:
        """The open project, stored, when the model may start on it; else None (with a message)."""
        project = self.w.project
        if project is None:
            return None
        if self.w.runner.busy("model"):
            self.w.show_message(
                QCoreApplication.translate("MainWindow", "模型正在工作，请等它完成或按 Esc 停止。")
            )
            return None
        if not self.w.wb.models.configured_name():
            self.w.show_message(
                QCoreApplication.translate(
                    "MainWindow",
                    "还没有设置模型：请在“文件 → 选择模型…”中选择或安装。没有模型时仍可写作、分析、批注和导出。",
                )
            )
            return None
        self.w.projects.flush()
        self.w.show_message("")
        return project

    def context(self) -> tuple[str, Genre, int]:
        genre = self.w.wb.genre(self.w.prompt_tab.genre_name())
        return self.w.prompt_tab.query.toPlainText(), genre, self.w.projects.target_chars()

    def failed_job(self, kind: str) -> Callable[[str], None]:
        return lambda message: self._generation_failed(kind, message)

    def _generation_failed(self, kind: str, message: str) -> None:
        """A generation ended without a result: one line if it failed, a note if it was stopped."""
        self.w.progress.setVisible(False)
        if message:
            self.w.show_message(message)
            if self.w.wb.models.state == "loading":
                self.w.wb.models.state = "error"
        else:
            self.w.statusBar().showMessage(QCoreApplication.translate("MainWindow", "已停止"), 4000)
        self.w.update_model_label()
        self.w.generation_finished.emit(kind, "error" if message else "cancelled")

    def _writing_context(self) -> tuple[int, str, Genre, int] | None:
        """(project id, prompt, genre, target) when the model may start on the open project; else
        None, with a message."""
        project = self.ready_for_model()
        if project is None:
            return None
        query, genre, target = self.context()
        if not query.strip():
            self.w.show_message(QCoreApplication.translate("MainWindow", "请先填写题目。"))
            self.w.tabs.setCurrentIndex(TAB_PROMPT)
            return None
        return project.id, query, genre, target

    def _with_thought(self) -> tuple[int, str, Genre, int, Thought] | None:
        """:meth:`_writing_context` and the 构思 as it is on the page."""
        ctx = self._writing_context()
        return None if ctx is None else (*ctx, thought_from_text(self.w.thought_tab.markdown()))

    # -- the 构思, whole or one section --------------------------------------------------------------
    def generate_thought(self) -> None:
        ctx = self._writing_context()
        if ctx is None:
            return
        pid, query, genre, target = ctx
        wb = self.w.wb
        started = time.monotonic()

        def work(job: Job) -> str:
            exemplar, _problem = wb.exemplar(query, genre)  # the outline does not need one
            return wb.outline(query, genre, target, job.cancel, exemplar, on_event=job.emit).to_markdown()

        self.w.show_progress(QCoreApplication.translate("MainWindow", "构思中…"), busy=True)
        self.w.tabs.setCurrentIndex(TAB_THOUGHT)
        self.w.thought_tab.begin_stream()
        self.w.runner.start(
            "model",
            work,
            on_event=lambda evs: self._thought_events(pid, evs),
            on_done=lambda md: self._thought_done(pid, md, "outline", "", started),
            on_error=self._thought_failed("outline"),
        )

    def regenerate_section(self, key: str) -> None:
        ctx = self._with_thought()
        if ctx is None:
            return
        pid, query, genre, target, thought = ctx
        wb = self.w.wb
        started = time.monotonic()
        self.w.show_progress(QCoreApplication.translate("MainWindow", "重写这一部分…"), busy=True)
        self.w.thought_tab.begin_stream((key,))
        self.w.runner.start(
            "model",
            lambda job: wb.regenerate_section(
                query, genre, thought, key, target, job.cancel, on_event=job.emit
            ).to_markdown(),
            on_event=lambda evs: self._thought_events(pid, evs),
            on_done=lambda md: self._thought_done(pid, md, "section", key, started),
            on_error=self._thought_failed("section"),
        )

    def _thought_events(self, pid: int, events: list[OutlineEvent]) -> None:
        """A 构思 streaming in: each section box shows its text as soon as it exists."""
        if self.w.project is None or self.w.project.id != pid:
            return
        for ev in events:
            if ev.kind == "section":
                self.w.thought_tab.show_streamed(ev.key, ev.text)
            elif ev.kind == "thinking":
                self.w.thought_tab.show_thinking(ev.text)
            elif ev.kind == "notice":
                self.w.statusBar().showMessage(ev.text, 6000)

    def _thought_failed(self, kind: str) -> Callable[[str], None]:
        """A failed or stopped 构思: the streamed boxes give way to the text as it was."""
        failed = self.failed_job(kind)

        def handler(message: str) -> None:
            self.w.thought_tab.end_stream()
            failed(message)

        return handler

    def _save_generation(
        self, pid: int, kind: str, field: str, text: str, label: str, stats: dict[str, Any]
    ) -> bool:
        """Store what the model wrote (log + revision), as the CLI does. False when nothing was stored."""
        _query, genre, target = self.context()
        library = self.w.library
        if library is None:  # the window closed meanwhile
            return False
        try:
            rev = self.w.wb.record_generation(
                library,
                pid,
                kind,
                field,
                text,
                stats,
                label,
                query_type=genre.name,
                target_chars=target,
            )
        except WriterAppError as exc:
            self.w.show_message(str(exc))
            return False
        return rev is not None

    def _thought_done(self, pid: int, md: str, kind: str, label: str, started: float) -> None:
        self.w.progress.setVisible(False)
        stats = {"seconds": round(time.monotonic() - started, 1)}
        self._save_generation(
            pid, kind, "thought", md, label or QCoreApplication.translate("MainWindow", "构思"), stats
        )
        self.w.thought_tab.end_stream()
        if self.w.project is not None and self.w.project.id == pid:
            self.w.thought_tab.set_markdown(md, undoable=True)
            self.w.projects.generated(pid, "thought")
        self.w.update_model_label()
        self.w.generation_finished.emit(kind, "stop")

    # -- streamed generations: draft, continue, rewrite --------------------------------------------
    def generate_draft(self) -> None:
        ctx = self._with_thought()
        if ctx is None:
            return
        pid, query, genre, target, thought = ctx
        wb = self.w.wb
        self.w.tabs.setCurrentIndex(TAB_DRAFT)
        self._begin_stream(
            pid, "draft", "", "", lambda job: wb.draft(query, thought, genre, target, job.cancel)
        )

    def continue_draft(self) -> None:
        project = self.ready_for_model()
        if project is None:
            return
        query, genre, _target = self.context()
        editor = self.w.draft_tab.editor
        text = editor.toPlainText()
        _s, end = editor.selection_range()
        before, after = text[:end], text[end:]
        thought = thought_from_text(self.w.thought_tab.markdown())
        wb = self.w.wb
        self._begin_stream(
            project.id,
            "continue",
            before,
            after,
            lambda job: wb.continue_text(query or "续写", thought, genre, before, job.cancel),
        )

    def rewrite_selection(self, instruction: str | None = None) -> None:
        editor = self.w.draft_tab.editor
        start, end = editor.selection_range()
        if start == end:
            self.w.show_message(QCoreApplication.translate("MainWindow", "请先在正文中选中要改写的文字。"))
            return
        if instruction is None:
            instruction, ok = QInputDialog.getText(
                self.w,
                QCoreApplication.translate("MainWindow", "改写选中文字"),
                QCoreApplication.translate("MainWindow", "改写要求（例如：更生动 / 压缩到100字）："),
            )
            if not ok:
                return
        if not instruction.strip():
            self.w.show_message(QCoreApplication.translate("MainWindow", "改写要求为空。"))
            return
        project = self.ready_for_model()
        if project is None:
            return
        text = editor.toPlainText()
        before, passage, after = text[:start], text[start:end], text[end:]
        wb = self.w.wb
        self._begin_stream(
            project.id,
            "rewrite",
            before,
            after,
            lambda job: wb.rewrite(passage, instruction, before, after, job.cancel),
        )

    def _begin_stream(
        self, pid: int, kind: str, prefix: str, suffix: str, events: Callable[[Job], Any]
    ) -> None:
        editor = self.w.draft_tab.editor
        old = editor.toPlainText()
        self.stream = Stream(pid, "answer", editor, old, prefix, suffix, started=time.monotonic(), kind=kind)
        editor.setUndoRedoEnabled(False)  # the whole generation becomes one undo step at the end
        self.w.draft_tab.set_generating(True)
        if kind == "draft":
            editor.setPlainText("")
        self.w.show_progress(QCoreApplication.translate("MainWindow", "生成中…"), busy=True)

        def work(job: Job) -> DraftResult | None:
            result = None
            for ev in events(job):
                if ev.kind == "done":
                    result = ev.result
                else:
                    job.emit(ev)
            return result

        self.w.runner.start(
            "model",
            work,
            on_event=self._stream_events,
            on_done=self._stream_done,
            on_error=self._stream_failed,
        )

    def _stream_events(self, events: list[DraftEvent]) -> None:
        s = self.stream
        if s is None:
            return
        middle = s.middle
        for ev in events:
            if ev.kind == "progress":
                if ev.total > 1:
                    self.w.show_progress(
                        QCoreApplication.translate("MainWindow", "第{0}/{1}部分").format(ev.index, ev.total),
                        value=ev.index - 1,
                        maximum=ev.total,
                    )
            elif ev.kind == "text":
                middle += ev.text
            elif ev.kind == "warning":
                self.w.statusBar().showMessage(ev.text, 6000)
        self._show_middle(middle)

    def _show_middle(self, middle: str) -> None:
        """Show the streamed text: appended in place when it only grew (the common case)."""
        s = self.stream
        if s is None or self.w.project is None or self.w.project.id != s.project_id:
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

    def end_stream(self) -> Stream | None:
        s, self.stream = self.stream, None
        self.w.draft_tab.set_generating(False)
        self.w.progress.setVisible(False)
        if s is not None:
            s.editor.blockSignals(True)
            if self.w.project is not None and self.w.project.id == s.project_id:
                s.editor.setPlainText(s.old)
            s.editor.setUndoRedoEnabled(True)
            s.editor.blockSignals(False)
        return s

    def _stream_done(self, result: DraftResult | None) -> None:
        s = self.end_stream()
        if s is None or result is None:
            return
        if s.kind == "draft":
            new = result.answer
        else:
            piece = result.parts[0].text if result.parts else ""
            new = s.prefix + piece + s.suffix
        cancelled = result.finish_reason == "cancelled"
        labels = {
            "draft": QCoreApplication.translate("MainWindow", "正文"),
            "continue": QCoreApplication.translate("MainWindow", "续写"),
            "rewrite": QCoreApplication.translate("MainWindow", "改写"),
        }
        label = labels.get(s.kind, s.kind) + (
            QCoreApplication.translate("MainWindow", "（已停止，保留已写部分）") if cancelled else ""
        )
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
        if stored and self.w.project is not None and self.w.project.id == s.project_id:
            s.editor.blockSignals(True)
            s.editor.replace_all_undoably(new)  # Ctrl+Z returns to the text before the generation
            s.editor.blockSignals(False)
            self.w.projects.generated(s.project_id, "answer")
            self.w.projects.request_stats()
        if cancelled:
            self.w.statusBar().showMessage(
                QCoreApplication.translate("MainWindow", "已停止，保留已写部分"), 5000
            )
        elif result.warnings:
            self.w.show_message(result.warnings[-1])  # e.g. a draft outside ±15 % of its length, and why
        self.w.update_model_label()
        self.w.generation_finished.emit(s.kind, "cancelled" if cancelled else "stop")

    def _stream_failed(self, message: str) -> None:
        s = self.end_stream()  # the text goes back to what it was before the generation
        self._generation_failed(s.kind if s else "draft", message)
