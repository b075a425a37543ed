"""The class view: a teacher's class as a sortable table, a histogram of totals, the class's
common problems, the batch critique with its progress, and the files that go back to students.

``GradebookModel`` shows :class:`writer_app.writing.gradebook.GradeRow` rows (the same rows the
CLI and the exports read); the teacher's total and comment are edited in place and stored as
the teacher's mark. ``ClassController`` does the work on the window's job runner (the batch on
the ``model`` slot: one model, one job at a time), so the dialog stays a view.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRectF,
    QSortFilterProxyModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

# imported with the view: importing it on the batch's thread, as the window repainted for the
# click, held the GIL 30-40 ms
import writer_app.writing.textside  # noqa: F401
from writer_app.errors import WriterAppError
from writer_app.gui.jobs import Job
from writer_app.writing.gradebook import (
    EVIDENCE_COLUMNS,
    GradeRow,
    common_problems,
    dimension_names,
    histogram,
)

if TYPE_CHECKING:
    from writer_app.gui.main_window import MainWindow
    from writer_app.storage.marking import Batch
    from writer_app.writing.batch import BatchProgress

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
AnyIndex = QModelIndex | QPersistentModelIndex


MAX_COLUMN_PX = 320  # how wide fitting a column to its contents may make it


class GradebookModel(QAbstractTableModel):
    """One row a student. Columns: who, title, total (the teacher's where given), band, each
    dimension, the evidence counts, annotations, the teacher's total and comment (editable)."""

    mark_edited = Signal(int, object, str)  # project id, the teacher's total (None: cleared), comment

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows: list[GradeRow] = []
        self.dims: list[str] = []
        self._columns = self.columns()  # the view asks for the count on every paint: kept

    # -- the columns ----------------------------------------------------------------------------
    def columns(self) -> list[str]:
        head = [self.tr("学生"), self.tr("题目"), self.tr("总分"), self.tr("等级"), *self.dims]
        names = {
            "repeat": self.tr("重复句"),
            "copy": self.tr("照抄"),
            "drift": self.tr("离题"),
            "talk": self.tr("助手腔"),
        }
        head += [names.get(kind, name) for kind, name in EVIDENCE_COLUMNS]
        return [*head, self.tr("批注"), self.tr("教师分"), self.tr("教师评语")]

    @property
    def teacher_column(self) -> int:
        return 4 + len(self.dims) + len(EVIDENCE_COLUMNS) + 1

    def set_rows(self, rows: list[GradeRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.dims = dimension_names(rows)
        self._columns = self.columns()
        self.endResetModel()

    def update_rows(self, rows: list[GradeRow]) -> None:
        """Some students' rows changed (a batch stored their critiques): those cells repaint; a
        new dimension (the class's first critique) resets the table."""
        if any(d not in self.dims for r in rows for d in r.dimensions):
            self.set_rows([next((n for n in rows if n.project_id == r.project_id), r) for r in self.rows])
            return
        for new in rows:
            i = self.row_of(new.project_id)
            if i >= 0:
                self.rows[i] = new
                self.dataChanged.emit(self.index(i, 0), self.index(i, self.columnCount() - 1))

    def row_of(self, project_id: int) -> int:
        return next((i for i, r in enumerate(self.rows) if r.project_id == project_id), -1)

    # -- QAbstractTableModel ---------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self._columns)

    def headerData(  # noqa: N802
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._columns[section] if 0 <= section < len(self._columns) else None
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() >= self.teacher_column:
            base |= Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        row, col = self.rows[index.row()], index.column()
        if role == SORT_ROLE:
            return self._value(row, col, sort=True)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            value = self._value(row, col)
            if role == Qt.ItemDataRole.EditRole and value is None:
                return ""
            return value
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, col)
        if role == Qt.ItemDataRole.ForegroundRole:
            if col == 2 and row.teacher_total is not None:
                return QColor("#1d4ed8")  # the teacher's own total
            if col == 2 and row.total is not None and not row.current:
                return QColor("#9ca3af")  # the critique judged an older text
        if role == Qt.ItemDataRole.TextAlignmentRole and 2 <= col < self.teacher_column + 1:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def _value(self, row: GradeRow, col: int, sort: bool = False) -> Any:
        dims, ev = len(self.dims), len(EVIDENCE_COLUMNS)
        if col == 0:
            return row.student or row.title
        if col == 1:
            return row.title
        if col == 2:
            if sort:
                return -1.0 if row.final is None else float(row.final)
            if row.final is None:
                return ""
            mark = "✎" if row.teacher_total is not None else ""
            return f"{row.final:g}{mark}"
        if col == 3:
            return row.band
        if 4 <= col < 4 + dims:
            score = row.dimensions.get(self.dims[col - 4])
            return (-1 if score is None else score) if sort else ("" if score is None else score)
        if 4 + dims <= col < 4 + dims + ev:
            kind = EVIDENCE_COLUMNS[col - 4 - dims][0]
            amount = row.evidence.get(kind, 0.0)
            if sort:
                return amount
            if kind == "copy":
                return f"{amount:.0%}" if amount else ""
            if kind == "drift":
                return "✓" if amount else ""
            return int(amount) or ""
        if col == 4 + dims + ev:
            return row.annotations if sort else (row.annotations or "")
        if col == self.teacher_column:
            if sort:
                return -1.0 if row.teacher_total is None else row.teacher_total
            return None if row.teacher_total is None else f"{row.teacher_total:g}"
        if col == self.teacher_column + 1:
            return row.comment
        return None

    def _tooltip(self, row: GradeRow, col: int) -> str | None:
        if col == 2 and row.teacher_total is not None and row.total is not None:
            return self.tr("教师评定 {0}；点评估分 {1}/{2}").format(
                f"{row.teacher_total:g}", row.total, row.max_total
            )
        if col == 2 and row.total is not None and not row.current:
            return self.tr("这个分数评的是较早的文本，正文已改动")
        if col == 1:  # the whole title (a long one is elided in the table), then the problems
            return "\n".join(x for x in (row.title, *row.problems) if x) or None
        if col in (0, 2, 3) and row.problems:
            return "\n".join(row.problems)
        return None

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if role != Qt.ItemDataRole.EditRole or not index.isValid() or index.column() < self.teacher_column:
            return False
        row = self.rows[index.row()]
        total, comment = row.teacher_total, row.comment
        if index.column() == self.teacher_column:
            text = str(value).strip()
            if not text:
                total = None
            else:
                try:
                    total = float(text)
                except ValueError:
                    return False
                if not 0 <= total <= (row.max_total or 60):
                    return False
        else:
            comment = str(value).strip()
        self.mark_edited.emit(row.project_id, total, comment)
        return True

    def update_mark(self, project_id: int, total: float | None, comment: str) -> None:
        """The mark was stored: show it."""
        i = self.row_of(project_id)
        if i < 0:
            return
        self.rows[i].teacher_total, self.rows[i].comment = total, comment
        self.dataChanged.emit(self.index(i, 0), self.index(i, self.columnCount() - 1))


class ClassChart(QWidget):
    """Two bar charts, painted: the totals' histogram, and the class's most common problems."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bins: list[tuple[int, int, int]] = []
        self.problems: list[tuple[str, int]] = []
        self.students = 0
        self.setMinimumHeight(170)
        self.setAccessibleName(self.tr("分数分布与常见问题"))

    def set_data(self, rows: list[GradeRow], top: int) -> None:
        self.bins = histogram(rows, top=top)
        self.problems = common_problems(rows, limit=6)
        self.students = len(rows)
        summary = "；".join(f"{lo}–{hi}: {n}" for lo, hi, n in self.bins)
        self.setAccessibleDescription(summary + "；" + "，".join(f"{p} {n}" for p, n in self.problems))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        w, h = self.width(), self.height()
        half = w / 2
        fm = p.fontMetrics()
        line = fm.height()
        # the histogram, left
        p.setPen(text)
        p.drawText(QRectF(0, 0, half, line), Qt.AlignmentFlag.AlignCenter, self.tr("总分分布"))
        peak = max([n for *_, n in self.bins] or [1]) or 1
        n_bins = max(1, len(self.bins))
        slot = (half - 20) / n_bins
        base = h - line - 4
        for i, (lo, hi, n) in enumerate(self.bins):
            x = 10 + i * slot
            bar = (base - line * 2) * n / peak
            p.fillRect(QRectF(x + 3, base - bar, slot - 6, bar), QColor("#60a5fa"))
            p.drawText(
                QRectF(x, base - bar - line, slot, line), Qt.AlignmentFlag.AlignCenter, str(n) if n else ""
            )
            p.drawText(QRectF(x, base + 2, slot, line), Qt.AlignmentFlag.AlignCenter, f"{lo}–{hi}")
        # the common problems, right
        p.drawText(QRectF(half, 0, half, line), Qt.AlignmentFlag.AlignCenter, self.tr("常见问题（篇数）"))
        if not self.problems:
            p.drawText(
                QRectF(half, line, half, h - line), Qt.AlignmentFlag.AlignCenter, self.tr("点评后显示")
            )
        label_w = min(half * 0.45, max([fm.horizontalAdvance(t) for t, _ in self.problems] or [0]) + 8)
        rows = max(1, len(self.problems))
        row_h = min(line * 1.6, (h - line * 1.5) / rows)
        for i, (label, n) in enumerate(self.problems):
            y = line * 1.5 + i * row_h
            p.drawText(QRectF(half + 4, y, label_w, row_h), Qt.AlignmentFlag.AlignVCenter, label)
            room = half - label_w - 40
            bar = room * n / max(1, self.students)
            p.fillRect(QRectF(half + 4 + label_w, y + 3, bar, row_h - 6), QColor("#f59e0b"))
            p.drawText(QRectF(half + 8 + label_w + bar, y, 36, row_h), Qt.AlignmentFlag.AlignVCenter, str(n))
        p.end()


class ClassController(QObject):
    """The class view's work: the rows, the batch critique, the teacher's marks, the exports."""

    rows_changed = Signal()
    rows_updated = Signal(list)  # some students' new rows (GradeRow), during a batch
    progress = Signal(object)  # BatchProgress, or None when the batch ended
    message = Signal(str)

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.w = window
        self.tag = ""
        self.rows: list[GradeRow] = []
        self.batching = False  # this view's batch is on the model's job

    # -- the rows -------------------------------------------------------------------------------
    def tags(self) -> list[str]:
        lib = self.w.library
        return lib.projects.all_tags() if lib is not None else []

    def load(self, tag: str) -> None:
        self.tag = tag
        self.refresh()
        try:
            self.w.wb.prepare_critique()
        except WriterAppError:
            pass  # a batch says what is wrong when it is started

    def refresh(self) -> None:
        lib = self.w.library
        self.rows = self.w.wb.gradebook(lib, self.tag) if lib is not None and self.tag else []
        self.rows_changed.emit()

    def update(self, project_ids: list[int]) -> None:
        """Just these students' rows, re-read (a batch stored their critiques): the table
        repaints those rows, and nothing else is read or laid out again."""
        lib = self.w.library
        if lib is None or not self.tag or not project_ids:
            return
        fresh = {r.project_id: r for r in self.w.wb.gradebook(lib, self.tag, project_ids)}
        self.rows = [fresh.get(r.project_id, r) for r in self.rows]
        self.rows_updated.emit(list(fresh.values()))

    def top(self) -> int:
        return max([r.max_total or 0 for r in self.rows] or [60]) or 60

    def set_mark(self, project_id: int, total: float | None, comment: str) -> bool:
        lib = self.w.library
        if lib is None:
            return False
        try:
            lib.marking.set_mark(project_id, total, comment)
        except WriterAppError as exc:
            self.message.emit(str(exc))
            return False
        return True

    def scored(self) -> list[Any]:
        """The class's essays the teacher gave their own total, to calibrate on."""
        from writer_app.writing.calibrate import scored_from_marks

        lib = self.w.library
        if lib is None or not self.tag:
            return []
        return scored_from_marks(lib.marking.marked(lib.marking.tagged(self.tag)))

    def pending_batch(self) -> Batch | None:
        lib = self.w.library
        return lib.marking.unfinished("critique", self.tag) if lib is not None and self.tag else None

    # -- the batch ------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.batching and self.w.runner.busy("model")

    def start_batch(self, again: bool = False) -> None:
        """Critique the class's essays on the model's job thread. The queue is made there too:
        writing it is a transaction the window must not wait for (190 ms measured), and the
        essays' text side runs in a helper process (see :mod:`writer_app.writing.textside`)."""
        lib = self.w.library
        if lib is None or not self.tag:
            return
        if self.w.runner.busy("model"):
            self.message.emit(self.tr("模型正在工作，请等它完成或停止后再批量点评。"))
            return
        use_model = bool(self.w.wb.models.configured_name())
        if not use_model:
            self.message.emit(self.tr("未设置模型：批量点评使用文本分析估分。"))
        wb, tag = self.w.wb, self.tag

        def work(job: Job) -> Batch | str | None:
            """The batch as it ended; None: nothing to critique; a line: why no batch was made."""
            library = wb.open_library()  # this thread's own connection
            try:
                try:
                    batch = wb.start_batch(library, tag=tag, again=again, use_model=use_model)
                except WriterAppError as exc:
                    return str(exc)
                if batch is None:
                    return None
                return wb.run_batch(
                    library, batch.id, job.cancel, on_progress=job.emit, separate_process=True
                )
            finally:
                library.close()

        def events(items: list[BatchProgress]) -> None:
            self.progress.emit(items[-1])
            self.update([pid for p in items for pid in p.just_finished])

        self.batching = True
        self.progress.emit(None)
        self.w.runner.start("model", work, on_event=events, on_done=self._done, on_error=self._failed)

    def stop_batch(self) -> None:
        if self.running:
            self.w.runner.cancel("model")

    def _done(self, batch: Batch | str | None) -> None:
        self.batching = False
        self.refresh()
        self.progress.emit(None)
        if batch is None:
            self.message.emit(self.tr("这个班的作文都已点评；要重新点评请勾选“全部重新点评”。"))
            return
        if isinstance(batch, str):
            self.message.emit(batch)
            return
        line = self.tr("批量点评完成：{0} 篇，未能点评 {1} 篇。").format(batch.done, batch.failed)
        failed = self.w.library.marking.items(batch.id, "failed") if self.w.library else []
        self.message.emit(line + "".join(f"\n{i.student or i.title}：{i.error}" for i in failed[:5]))

    def _failed(self, message: str) -> None:
        self.batching = False
        self.refresh()
        self.progress.emit(None)
        self.message.emit(
            message + self.tr("；已点评的已保存，再点“批量点评”从这里继续。")
            if message
            else self.tr("已停止：已点评的已保存，再点“批量点评”从这里继续。")
        )

    # -- files ----------------------------------------------------------------------------------
    def export_table(self, path: Path) -> None:
        from writer_app.textio import atomic_replace
        from writer_app.writing.gradebook import to_csv, to_xlsx

        data = to_xlsx(self.rows, self.tag) if path.suffix.lower() == ".xlsx" else to_csv(self.rows)
        try:
            atomic_replace(path, data, None)
        except OSError as exc:
            self.message.emit(self.tr("无法写入 {0}：{1}").format(path.name, exc))
            return
        self.message.emit(self.tr("已导出 {0} 名学生到 {1}").format(len(self.rows), path.name))

    def export_feedback(self, folder: Path, fmt: str, project_ids: list[int] | None = None) -> None:
        """Each student's sheet (PDF or .docx) into ``folder``, on the GUI thread (Qt prints
        there), the window's events handled between sheets."""
        from writer_app.gui.i18n import cjk_family
        from writer_app.gui.pdf import write_pdf
        from writer_app.writing.feedback import write_sheets

        lib = self.w.library
        if lib is None:
            return
        rows = [r for r in self.rows if project_ids is None or r.project_id in project_ids]
        marked = {m.project_id: m for m in lib.marking.marked([r.project_id for r in rows])}
        family = cjk_family(self.w.wb.resources / "fonts") or ""
        started = time.monotonic()
        written, failed = write_sheets(
            rows,
            marked,
            folder,
            fmt,
            group=self.tag,
            font=family,
            print_pdf=functools.partial(write_pdf, family=family),
            each=QCoreApplication.processEvents,
        )
        line = self.tr("已导出 {0} 份反馈到 {1}（{2:.1f} 秒）").format(
            len(written), folder, time.monotonic() - started
        )
        self.message.emit(line + "".join("\n" + f for f in failed[:5]))


def _progress_bar() -> QProgressBar:
    """Hidden until a batch runs; it keeps its room meanwhile, so that showing it neither moves
    nor repaints the table."""
    bar = QProgressBar()
    keep = bar.sizePolicy()
    keep.setRetainSizeWhenHidden(True)
    bar.setSizePolicy(keep)
    bar.setVisible(False)
    bar.setTextVisible(True)
    return bar


class ClassDialog(QDialog):
    """The class view. Non-modal: the teacher opens a student's essay in the window beside it."""

    def __init__(self, window: MainWindow, controller: ClassController) -> None:
        super().__init__(window)
        self.w, self.c = window, controller
        self._unfitted: list[int] = []  # columns still to fit to their contents (_fit_columns)
        self.setWindowTitle(self.tr("班级视图"))
        self.resize(1000, 640)
        self.tag_box = QComboBox()
        self.tag_box.setAccessibleName(self.tr("班级标签"))
        self.batch_button = QPushButton(self.tr("批量点评"))
        self.again = QCheckBox(self.tr("全部重新点评"))
        self.stop_button = QPushButton(self.tr("停止"))
        self.stop_button.setEnabled(False)
        self.bar = _progress_bar()
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.model = GradebookModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        # a long title is elided (its tooltip has it whole), not a column wider than the view
        self.table.horizontalHeader().setMaximumSectionSize(MAX_COLUMN_PX)
        self.table.setAccessibleName(self.tr("学生成绩表"))
        self.chart = ClassChart()
        export_table = QPushButton(self.tr("导出表格（CSV/Excel）…"))
        export_pdf = QPushButton(self.tr("导出反馈 PDF…"))
        export_docx = QPushButton(self.tr("导出反馈 Word…"))
        calibrate = QPushButton(self.tr("用教师分校准点评…"))
        calibrate.setToolTip(self.tr("用你在“教师分”一栏打的分（至少 30 篇）校准当前模型的点评总分"))
        close = QPushButton(self.tr("关闭"))

        top = QHBoxLayout()
        top.addWidget(QLabel(self.tr("班级：")))
        top.addWidget(self.tag_box, 1)
        top.addWidget(self.again)
        top.addWidget(self.batch_button)
        top.addWidget(self.stop_button)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.chart)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        bottom = QHBoxLayout()
        for b in (export_table, export_pdf, export_docx, calibrate):
            bottom.addWidget(b)
        bottom.addStretch(1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.bar)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)
        layout.addLayout(bottom)

        self.tag_box.currentTextChanged.connect(self.c.load)
        self.batch_button.clicked.connect(lambda: self.c.start_batch(self.again.isChecked()))
        self.stop_button.clicked.connect(self.c.stop_batch)
        self.table.doubleClicked.connect(self._open)
        self.model.mark_edited.connect(self._mark)
        export_table.clicked.connect(self._ask_table)
        export_pdf.clicked.connect(lambda: self._ask_feedback("pdf"))
        export_docx.clicked.connect(lambda: self._ask_feedback("docx"))
        calibrate.clicked.connect(self._calibrate)
        close.clicked.connect(self.close)
        self.c.rows_changed.connect(self._show_rows)
        self.c.rows_updated.connect(self._update_rows)
        self.c.progress.connect(self._show_progress)
        self.c.message.connect(self.status.setText)

    def showEvent(self, event: Any) -> None:  # noqa: N802
        super().showEvent(event)
        current = self.tag_box.currentText()
        tags = self.c.tags()
        self.tag_box.blockSignals(True)
        self.tag_box.clear()
        self.tag_box.addItems(tags)
        if current in tags:
            self.tag_box.setCurrentText(current)
        self.tag_box.blockSignals(False)
        if not tags:
            self.status.setText(self.tr("还没有带标签的作文：先用“文件 → 导入学生作文”导入并填写班级标签。"))
        self.c.load(self.tag_box.currentText())
        self._show_progress(None)

    def _show_rows(self) -> None:
        self.model.set_rows(self.c.rows)
        self.chart.set_data(self.c.rows, self.c.top())
        self._fit_columns()
        pending = self.c.pending_batch()
        if pending is not None and not self.c.running:
            self.batch_button.setText(self.tr("继续批量点评（还有 {0} 篇）").format(pending.pending))
        else:
            self.batch_button.setText(self.tr("批量点评"))

    def _fit_columns(self) -> None:
        """Each column fitted to its contents in its own turn of the event loop: fitting a
        class's columns at once (``resizeColumnsToContents``: Qt asks the model for every cell's
        text, font and alignment) took 36–60 ms for 45 students, a stall as a batch ended."""
        first = not self._unfitted
        self._unfitted = list(range(self.model.columnCount()))
        if first:
            QTimer.singleShot(0, self, self._fit_next)

    def _fit_next(self) -> None:
        if self._unfitted:
            self.table.resizeColumnToContents(self._unfitted.pop(0))
        if self._unfitted:
            QTimer.singleShot(0, self, self._fit_next)

    def _update_rows(self, rows: list[GradeRow]) -> None:
        self.model.update_rows(rows)
        self.chart.set_data(self.c.rows, self.c.top())

    def _show_progress(self, p: BatchProgress | None) -> None:
        running = self.c.running
        self.stop_button.setEnabled(running)
        self.batch_button.setEnabled(not running)
        self.bar.setVisible(running)
        if p is None:
            if running:
                self.bar.setRange(0, 0)
                self.bar.setFormat(self.tr("批量点评准备中…"))
            return
        self.bar.setRange(0, p.total)
        self.bar.setValue(p.finished)
        eta = "" if p.eta_s is None else self.tr("，约 {0} 分钟后完成").format(max(1, round(p.eta_s / 60)))
        self.bar.setFormat(self.tr("{0}/{1}：{2}").format(p.finished, p.total, p.current) + eta)

    def _open(self, index: QModelIndex) -> None:
        source = self.proxy.mapToSource(index)
        if source.column() >= self.model.teacher_column:
            return  # a double-click there edits the teacher's mark
        row = self.model.rows[source.row()]
        if self.w.open_project(row.project_id):
            self.w.raise_()
            self.w.activateWindow()

    def _mark(self, project_id: int, total: float | None, comment: str) -> None:
        if self.c.set_mark(project_id, total, comment):
            self.model.update_mark(project_id, total, comment)
            self.chart.set_data(self.model.rows, self.c.top())

    def _calibrate(self) -> None:
        from writer_app.gui.dialogs import CalibrateDialog

        CalibrateDialog(self.w.wb, self.w.runner, self, marks=(self.c.tag, self.c.scored())).exec()

    def _ask_table(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, self.tr("导出成绩表"), f"{self.c.tag or 'class'}.xlsx", "Excel (*.xlsx);;CSV (*.csv)"
        )
        if path:
            self.c.export_table(Path(path))

    def _ask_feedback(self, fmt: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("选择保存反馈的文件夹"))
        if folder:
            self.c.export_feedback(Path(folder), fmt)
