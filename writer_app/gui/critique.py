"""The window's critique: run it (model or analysis-only), keep it, show it, and act on its
suggestions (按建议改写: the passage rewritten by the model, shown as a diff to accept).

A controller, not a widget: the work runs in the window's ``model`` job slot; the critique is
kept through ``Workbench.record_critique``, exactly as ``writer-app critique`` keeps it. Strings
keep the ``MainWindow`` translation context they had there.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject

from writer_app.errors import WriterAppError
from writer_app.gui.jobs import Job
from writer_app.gui.panels import TAB_CRITIQUE, TAB_DRAFT

if TYPE_CHECKING:
    from writer_app.gui.main_window import MainWindow
    from writer_app.writing.critique import CritiqueResult


class CritiqueController(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.review: Any = None  # the open RewriteReview, if any

    def run(self) -> None:
        if self.w.project is None:
            return
        if self.w.runner.busy("model"):
            self.w.show_message(
                QCoreApplication.translate("MainWindow", "模型正在工作，请等它完成或按 Esc 停止。")
            )
            return
        self.w.flush()
        essay = self.w.draft_tab.editor.toPlainText()
        thought = self.w.thought_tab.markdown()
        query, genre, target = self.w.generation.context()
        use_model = not self.w.critique_tab.no_model.isChecked() and bool(self.w.wb.models.configured_name())
        if not use_model and not self.w.critique_tab.no_model.isChecked():
            self.w.show_message(QCoreApplication.translate("MainWindow", "未设置模型：下面是文本分析估分。"))
        else:
            self.w.show_message("")
        pid = self.w.project.id
        wb = self.w.wb
        started = time.monotonic()

        def work(job: Job) -> CritiqueResult:
            return wb.critique(
                essay,
                query,
                genre,
                target,
                job.cancel,
                use_model=use_model,
                thought=thought,
                on_progress=lambda i, n, name: job.emit((i, n, name)),
            )

        def progress(events: list[Any]) -> None:
            i, n, name = events[-1]
            self.w.show_progress(
                QCoreApplication.translate("MainWindow", "第{0}/{1}项：{2}").format(i, n, name),
                value=i - 1,
                maximum=n,
            )

        self.w.show_progress(QCoreApplication.translate("MainWindow", "点评中…"), busy=True)
        self.w.tabs.setCurrentIndex(TAB_CRITIQUE)
        self.w.runner.start(
            "model",
            work,
            on_event=progress,
            on_done=lambda r: self._done(pid, r, started),
            on_error=self.w.generation.failed_job("critique"),
        )

    def _done(self, pid: int, result: CritiqueResult, started: float) -> None:
        self.w.progress.setVisible(False)
        library, seconds = self.w.library, time.monotonic() - started
        data: dict[str, Any] | None = None
        if library is not None:  # None: the window closed meanwhile
            try:
                data = self.w.wb.record_critique(library, pid, result, seconds)
            except WriterAppError as exc:
                self.w.show_message(str(exc))
        if data is None:
            data = result.to_dict()  # not kept, still shown
        if self.w.project is not None and self.w.project.id == pid:
            self.w.critique_tab.show_result(data)
        self.w.update_model_label()
        self.w.generation_finished.emit("critique", "stop")

    def apply_suggestion(self, quote: str, instruction: str) -> None:
        """改写这一段: the suggestion's passage rewritten by the model (the rewrite path, with its
        guards), then shown as a diff to accept or reject; nothing changes until it is accepted."""
        editor = self.w.draft_tab.editor
        if not editor.find_and_select(quote):
            self.w.show_message(
                QCoreApplication.translate("MainWindow", "正文中找不到这段引文（可能已修改）")
            )
            return
        project = self.w.generation.ready_for_model()
        if project is None:
            return
        self.w.flush()
        text = editor.toPlainText()
        start, end = editor.selection_range()
        before, passage, after = text[:start], text[start:end], text[end:]
        pid, wb = project.id, self.w.wb

        def work(job: Job) -> str:
            return "".join(
                ev.text
                for ev in wb.rewrite(passage, instruction, before, after, job.cancel)
                if ev.kind == "text"
            )

        self.w.show_progress(QCoreApplication.translate("MainWindow", "按建议改写中…"), busy=True)
        self.w.runner.start(
            "model",
            work,
            on_done=lambda new: self._review_rewrite(pid, text, start, end, new, instruction),
            on_error=self.w.generation.failed_job("rewrite"),
        )

    def _review_rewrite(self, pid: int, text: str, start: int, end: int, new: str, instruction: str) -> None:
        from writer_app.gui.dialogs import RewriteReview

        self.w.progress.setVisible(False)
        editor = self.w.draft_tab.editor
        library = self.w.library
        if (
            library is None
            or self.w.project is None
            or self.w.project.id != pid
            or editor.toPlainText() != text
        ):
            self.w.show_message(
                QCoreApplication.translate("MainWindow", "正文在改写期间变了，改写结果没有采用。")
            )
            return
        if not new.strip():
            self.w.show_message(QCoreApplication.translate("MainWindow", "模型没有写出可用的改写。"))
            return
        review = RewriteReview(library.projects.diff(text[start:end], new), instruction, self.w)
        self.review = review

        def accepted() -> None:
            if editor.toPlainText() != text:
                self.w.show_message(
                    QCoreApplication.translate("MainWindow", "正文已修改，改写结果没有采用。")
                )
                return
            editor.select_range(start, end)
            editor.textCursor().insertText(new)  # one undo step
            self.w.flush()

        review.accepted.connect(accepted)
        review.open()
        self.w.generation_finished.emit("rewrite-review", "stop")

    def show_quote(self, quote: str) -> None:
        """A suggestion was clicked: select its passage in the draft."""
        self.w.tabs.setCurrentIndex(TAB_DRAFT)
        if not self.w.draft_tab.editor.find_and_select(quote):
            self.w.statusBar().showMessage(
                QCoreApplication.translate("MainWindow", "正文中找不到这段引文（可能已修改）"), 5000
            )
        self.w.draft_tab.editor.setFocus()
