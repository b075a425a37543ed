"""The window's files: import (menu, drag-and-drop), export in every format, PDF and print.

A controller, not a widget: the file dialogs open on the GUI thread, the work runs in the window's
job runner (its ``import`` and ``export`` slots, so it never blocks typing), and every outcome is
one line in the window. Strings keep the ``MainWindow`` translation context they had there.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import QFileDialog

from writer_app.errors import WriterAppError
from writer_app.gui.jobs import Job

if TYPE_CHECKING:
    from writer_app.gui.main_window import MainWindow

EXPORTS = (
    ("md", "Markdown (*.md)"),
    ("html", "HTML (*.html)"),
    ("docx", "Word (*.docx)"),
    ("txt", "Text (*.txt)"),
    ("jsonl", "COIG-Writer JSONL (*.jsonl)"),
    ("bundle", "Writer Companion (*.wcbundle)"),
    ("pdf", "PDF (*.pdf)"),
)


def report_line(report: Any) -> str:
    """One import's counts, and a line for each thing beyond them the user should know."""
    if hasattr(report, "projects_added"):
        head = QCoreApplication.translate(
            "MainWindow", "项目 新增 {0}，合并 {1}；版本 +{2}；批注 +{3}；冲突 {4}"
        ).format(
            report.projects_added,
            report.projects_merged,
            report.revisions_added,
            report.annotations_added,
            report.conflicts,
        )
    else:
        head = QCoreApplication.translate("MainWindow", "范例 新增 {0}，重复 {1}，有误 {2}").format(
            report.added, report.duplicates, len(report.rejected)
        )
    return head + "".join("\n" + line for line in report.notes())


class FilesController(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window

    # -- import ---------------------------------------------------------------------------------
    def ask_import(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self.w,
            QCoreApplication.translate("MainWindow", "导入"),
            "",
            QCoreApplication.translate(
                "MainWindow", "COIG-Writer 或项目包 (*.json *.jsonl *.wcbundle *.zip);;所有文件 (*)"
            ),
        )
        if paths:
            self.import_paths([Path(p) for p in paths])

    def ask_import_essays(self, folder: bool = False) -> None:
        """Students' essays: files (.docx, .txt, .md) or a whole folder, then the batch's tag,
        file-name pattern and shared prompt."""
        title = QCoreApplication.translate("MainWindow", "导入学生作文")
        if folder:
            chosen = QFileDialog.getExistingDirectory(self.w, title)
            paths = [Path(chosen)] if chosen else []
        else:
            names, _ = QFileDialog.getOpenFileNames(
                self.w, title, "", QCoreApplication.translate("MainWindow", "作文 (*.docx *.txt *.md *.doc)")
            )
            paths = [Path(n) for n in names]
        if paths:
            self.import_essays(paths)

    def import_essays(self, paths: list[Path], options: dict[str, str] | None = None) -> None:
        """Ask the batch's class tag, name pattern and prompt (unless ``options`` gives them),
        then import in the ``import`` slot; the result is one summary line and a line a file refused."""
        if options is None:
            from writer_app.gui.dialogs import EssayImportDialog

            tags = self.w.library.projects.all_tags() if self.w.library is not None else []
            dialog = EssayImportDialog(self.w.wb.genres, tags, len(paths), self.w)
            if dialog.exec() != EssayImportDialog.DialogCode.Accepted:
                return
            options = dialog.options()
        wb, opts = self.w.wb, options

        def work(job: Job) -> list[str]:
            lib = wb.open_library()
            try:
                report = lib.import_essays(
                    paths,
                    tag=opts.get("tag", ""),
                    query=opts.get("query", ""),
                    query_type=opts.get("query_type", ""),
                    pattern=opts.get("pattern", ""),
                    cancelled=lambda: job.cancelled,
                )
            finally:
                lib.close()
            return [report.summary(), *(f"{name}：{why}" for name, why in report.rejected[:20])]

        self.w.show_progress(QCoreApplication.translate("MainWindow", "导入作文…"), busy=True, slot="import")
        self.w.runner.start("import", work, on_done=self._imported, on_error=self._import_failed)

    def import_paths(self, paths: list[Path]) -> None:
        from writer_app.storage.essays import is_essay_path

        if paths and all(is_essay_path(p) for p in paths):
            self.import_essays(paths)  # students' essays dropped on the window
            return
        wb = self.w.wb

        def work(job: Job) -> list[str]:
            lines = []
            lib = wb.open_library()
            try:
                for p in paths:
                    try:
                        report = lib.import_file(p)
                    except WriterAppError as exc:
                        lines.append(f"{p.name}: {exc}")
                        continue
                    lines.append(f"{p.name}: {report_line(report)}")
            finally:
                lib.close()
            return lines

        self.w.show_progress(QCoreApplication.translate("MainWindow", "导入中…"), busy=True, slot="import")
        self.w.runner.start("import", work, on_done=self._imported, on_error=self._import_failed)

    def _imported(self, lines: list[str]) -> None:
        self.w.show_message("\n".join(lines))
        self.w.projects.refresh_tags()
        self.w.projects.refresh_list()

    def _import_failed(self, message: str) -> None:
        self.w.show_message(message)

    # -- export and print -------------------------------------------------------------------------
    def ask_export(self, fmt: str) -> None:
        if self.w.project is None:
            return
        from writer_app.storage.export import SUFFIX, default_name

        self.w.flush()
        suffix = ".pdf" if fmt == "pdf" else SUFFIX[fmt]
        name = default_name(self.w.project) + suffix
        path, _ = QFileDialog.getSaveFileName(
            self.w,
            QCoreApplication.translate("MainWindow", "导出"),
            str(Path.home() / name),
            dict(EXPORTS)[fmt],
        )
        if path:
            self.export_to(fmt, Path(path))

    def export_to(self, fmt: str, path: Path) -> None:
        """Write the current project as ``fmt`` to ``path`` (PDF on the GUI thread, the rest off it)."""
        if self.w.project is None:
            return
        self.w.flush()
        if fmt == "pdf":
            self._export_pdf(path)
            return
        from writer_app.storage.export import write_file

        pid, wb = self.w.project.id, self.w.wb

        def work(job: Job) -> Path:
            lib = wb.open_library()
            try:
                data = lib.export([pid], fmt)
            finally:
                lib.close()
            write_file(path, data, follow_symlinks=True)  # the save dialog confirmed this file
            return path

        self.w.runner.start(
            "export",
            work,
            on_done=lambda p: self.w.statusBar().showMessage(
                QCoreApplication.translate("MainWindow", "已导出到 {0}").format(p), 6000
            ),
            on_error=lambda msg: self.w.show_message(msg) if msg else None,
        )

    def document(self) -> Any:
        from PySide6.QtGui import QTextDocument

        from writer_app.storage.export import to_html

        project, library = self.w.project, self.w.library
        assert project is not None and library is not None
        doc = QTextDocument()
        doc.setDefaultFont(self.w.font())
        doc.setHtml(to_html(project, library.projects.annotations(project.id)))
        return doc

    def _export_pdf(self, path: Path) -> None:
        from PySide6.QtGui import QPageSize
        from PySide6.QtPrintSupport import QPrinter

        from writer_app.storage.export import write_file

        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setPageSize(QPageSize(QPageSize.PageSizeId.A4))
        tmp = path.with_name(f".{path.name}.tmp")
        printer.setOutputFileName(str(tmp))
        printer.setDocName(self.w.project.title if self.w.project and self.w.project.title else "writer")
        self.document().print_(printer)
        try:
            if not tmp.is_file() or tmp.stat().st_size == 0:
                raise OSError("no output")
            # the same rules as every export: only a regular or new file (never a device node)
            write_file(path, tmp.read_bytes(), follow_symlinks=True)
        except OSError as exc:
            self.w.show_message(
                QCoreApplication.translate("MainWindow", "无法写入 PDF：{0}").format(
                    getattr(exc, "strerror", None) or exc
                )
            )
            return
        except WriterAppError as exc:
            self.w.show_message(str(exc))
            return
        finally:
            tmp.unlink(missing_ok=True)
        self.w.statusBar().showMessage(
            QCoreApplication.translate("MainWindow", "已导出到 {0}").format(path), 6000
        )

    def print_(self) -> None:
        if self.w.project is None:
            return
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter

        self.w.flush()
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self.w)
        if dialog.exec() == QPrintDialog.DialogCode.Accepted:
            self.document().print_(printer)
