"""The main window's panels. Each one shows data and emits signals; the main window acts on them."""

from __future__ import annotations

import html
from typing import Any, TypeVar

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from writer_app.domain import SECTIONS, Genre, Thought
from writer_app.gui.listmodels import (
    AnnotationListModel,
    IdRole,
    ProjectListModel,
    RevisionListModel,
    RowRole,
)
from writer_app.gui.widgets import ScoreChart, TextEditor

# the project's pages, in the order the window's tabs show them
TAB_PROMPT, TAB_THOUGHT, TAB_DRAFT, TAB_CRITIQUE, TAB_HISTORY = range(5)


_W = TypeVar("_W", bound=QWidget)


def _named(widget: _W, name: str) -> _W:
    widget.setAccessibleName(name)
    return widget


def fill_genres(combo: QComboBox, genres: list[Genre], first: str | None = None) -> None:
    """The full genre list grouped under disabled group headings (``first``: an "all" entry)."""
    model = QStandardItemModel(combo)
    if first is not None:
        item = QStandardItem(first)
        item.setData("", Qt.ItemDataRole.UserRole)
        model.appendRow(item)
    group = None
    for g in genres:
        if g.group != group:
            group = g.group
            head = QStandardItem(f"— {g.group.split('|')[-1]} —")
            head.setFlags(Qt.ItemFlag.NoItemFlags)
            model.appendRow(head)
        item = QStandardItem(g.name)
        item.setData(g.name, Qt.ItemDataRole.UserRole)
        item.setToolTip(g.description)
        model.appendRow(item)
    combo.setModel(model)
    combo.setCurrentIndex(0 if first is not None else 1)


def select_genre(combo: QComboBox, name: str) -> None:
    i = combo.findData(name, Qt.ItemDataRole.UserRole)
    if i >= 0:
        combo.setCurrentIndex(i)


# --------------------------------------------------------------------------------------------
class LibraryPanel(QWidget):
    """The project list with search, genre and tag filters, and the trash."""

    project_selected = Signal(int)
    filters_changed = Signal()
    new_requested = Signal()
    duplicate_requested = Signal(int)
    trash_requested = Signal(int)
    untrash_requested = Signal(int)
    delete_requested = Signal(int)

    def __init__(self, genres: list[Genre], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = _named(QLineEdit(), self.tr("搜索项目"))
        self.search.setPlaceholderText(self.tr("搜索项目… (Ctrl+F)"))
        self.search.setClearButtonEnabled(True)
        self.genre = _named(QComboBox(), self.tr("按文体筛选"))
        fill_genres(self.genre, genres, self.tr("全部文体"))
        self.tag = _named(QComboBox(), self.tr("按标签筛选"))
        self.tag.addItem(self.tr("全部标签"), "")
        self.trash = _named(QCheckBox(self.tr("回收站")), self.tr("显示回收站"))
        self.model = ProjectListModel(self)
        self.view = _named(QListView(), self.tr("项目列表"))
        self.view.setModel(self.model)
        self.view.setUniformItemSizes(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.new_button = _named(QPushButton(self.tr("新建")), self.tr("新建项目"))
        self.duplicate_button = _named(QPushButton(self.tr("复制")), self.tr("复制项目"))
        self.delete_button = _named(QPushButton(self.tr("删除")), self.tr("删除项目"))
        self.restore_button = _named(QPushButton(self.tr("恢复")), self.tr("从回收站恢复"))
        self.purge_button = _named(QPushButton(self.tr("永久删除")), self.tr("永久删除项目"))
        self.count = QLabel()

        filters = QHBoxLayout()
        filters.addWidget(self.genre, 1)
        filters.addWidget(self.tag, 1)
        buttons = QHBoxLayout()
        for b in (
            self.new_button,
            self.duplicate_button,
            self.delete_button,
            self.restore_button,
            self.purge_button,
        ):
            buttons.addWidget(b)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.search)
        lay.addLayout(filters)
        lay.addWidget(self.trash)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.count)
        lay.addLayout(buttons)

        self._debounce = QTimer(self, singleShot=True, interval=250)
        self._debounce.timeout.connect(self.filters_changed)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.genre.currentIndexChanged.connect(lambda _i: self.filters_changed.emit())
        self.tag.currentIndexChanged.connect(lambda _i: self.filters_changed.emit())
        self.trash.toggled.connect(self._trash_toggled)
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        self.new_button.clicked.connect(self.new_requested)
        self.duplicate_button.clicked.connect(lambda: self._with_current(self.duplicate_requested))
        self.delete_button.clicked.connect(lambda: self._with_current(self.trash_requested))
        self.restore_button.clicked.connect(lambda: self._with_current(self.untrash_requested))
        self.purge_button.clicked.connect(lambda: self._with_current(self.delete_requested))
        self._trash_toggled(False)

    def _trash_toggled(self, on: bool) -> None:
        for b in (self.new_button, self.duplicate_button, self.delete_button):
            b.setVisible(not on)
        for b in (self.restore_button, self.purge_button):
            b.setVisible(on)
        self.filters_changed.emit()

    def _with_current(self, signal: Any) -> None:
        pid = self.current_id()
        if pid is not None:
            signal.emit(pid)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            self.project_selected.emit(int(current.data(IdRole)))

    def current_id(self) -> int | None:
        idx = self.view.currentIndex()
        return int(idx.data(IdRole)) if idx.isValid() else None

    def filters(self) -> dict[str, Any]:
        return {
            "text": self.search.text().strip(),
            "query_type": self.genre.currentData(Qt.ItemDataRole.UserRole) or None,
            "tag": self.tag.currentData() or None,
            "trashed": self.trash.isChecked(),
        }

    def set_tags(self, tags: list[str]) -> None:
        current = self.tag.currentData()
        self.tag.blockSignals(True)
        self.tag.clear()
        self.tag.addItem(self.tr("全部标签"), "")
        for t in tags:
            self.tag.addItem(t, t)
        i = self.tag.findData(current)
        self.tag.setCurrentIndex(max(0, i))
        self.tag.blockSignals(False)

    def select_id(self, project_id: int) -> bool:
        """Make ``project_id`` current without emitting project_selected (it is already open)."""
        row = self.model.row_of(project_id)
        while row < 0 and self.model.canFetchMore():
            self.model.fetchMore()
            row = self.model.row_of(project_id)
        if row < 0:
            self.view.clearSelection()
            return False
        sm = self.view.selectionModel()
        sm.blockSignals(True)
        sm.setCurrentIndex(self.model.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect)
        sm.blockSignals(False)
        self.view.scrollTo(self.model.index(row))
        return True


# --------------------------------------------------------------------------------------------
class PromptTab(QWidget):
    """题目: the prompt, its genre, target length, title, tags and sample prompts."""

    edited = Signal()  # query text
    meta_edited = Signal()  # title, genre, tags
    generate_requested = Signal()

    def __init__(self, genres: list[Genre], samples: list[Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._genres = {g.name: g for g in genres}
        self.title = _named(QLineEdit(), self.tr("标题"))
        self.title.setPlaceholderText(self.tr("项目标题（可留空）"))
        self.genre = _named(QComboBox(), self.tr("文体"))
        fill_genres(self.genre, genres)
        self.length = _named(QSpinBox(), self.tr("目标字数"))
        self.length.setRange(50, 20000)
        self.length.setSingleStep(50)
        self.length.setSuffix(self.tr(" 字"))
        self.tags = _named(QLineEdit(), self.tr("标签"))
        self.tags.setPlaceholderText(self.tr("标签，用逗号分隔"))
        self.samples_button = _named(QPushButton(self.tr("试试示例题目")), self.tr("示例题目"))
        menu = QMenu(self)
        for s in samples:
            first = s.query.splitlines()[0] if s.query else ""
            act = menu.addAction(f"[{s.query_type}] {first[:36]}…")
            act.setData((s.query_type, s.query))
        menu.triggered.connect(lambda act: self.use_sample(*act.data()))
        self.samples_button.setMenu(menu)
        self.samples_button.setEnabled(bool(samples))
        self.query = _named(TextEditor(), self.tr("题目"))
        self.query.setPlaceholderText(self.tr("在这里输入或粘贴作文题目、写作要求……"))
        self.generate_button = _named(QPushButton(self.tr("生成构思 (Ctrl+Enter)")), self.tr("生成构思"))
        self.help = QLabel(self.tr("先写题目，再生成构思；构思可以逐段修改，正文按构思来写。"))
        self.help.setWordWrap(True)

        form = QFormLayout()
        form.addRow(self.tr("标题"), self.title)
        row = QHBoxLayout()
        row.addWidget(self.genre, 2)
        row.addWidget(QLabel(self.tr("目标")))
        row.addWidget(self.length, 1)
        form.addRow(self.tr("文体"), row)
        form.addRow(self.tr("标签"), self.tags)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        head = QHBoxLayout()
        head.addWidget(QLabel(self.tr("题目")))
        head.addStretch(1)
        head.addWidget(self.samples_button)
        lay.addLayout(head)
        lay.addWidget(self.query, 1)
        lay.addWidget(self.help)
        lay.addWidget(self.generate_button)

        self.query.textChanged.connect(self.edited)
        self.title.editingFinished.connect(self.meta_edited)
        self.tags.editingFinished.connect(self.meta_edited)
        self.genre.currentIndexChanged.connect(self._genre_changed)
        self.generate_button.clicked.connect(self.generate_requested)

    def _genre_changed(self, _i: int) -> None:
        g = self._genres.get(self.genre_name())
        if g is not None:
            self._show_length(g)
        self.meta_edited.emit()

    def _show_length(self, genre: Genre) -> None:
        """The genre's default length, in its unit: 字, or 行 for poems."""
        if genre.unit == "行":
            self.length.setRange(2, 200)
            self.length.setSingleStep(2)
            self.length.setSuffix(self.tr(" 行"))
        else:
            self.length.setRange(50, 20000)
            self.length.setSingleStep(50)
            self.length.setSuffix(self.tr(" 字"))
        self.length.setValue(genre.target_chars)

    def genre_name(self) -> str:
        return self.genre.currentData(Qt.ItemDataRole.UserRole) or ""

    def tag_list(self) -> list[str]:
        raw = self.tags.text().replace("，", ",").replace("、", ",")
        return [t.strip() for t in raw.split(",") if t.strip()]

    def use_sample(self, query_type: str, query: str) -> None:
        select_genre(self.genre, query_type)
        self.query.replace_all_undoably(query)

    def show_project(self, project: Any) -> None:
        for w in (self.title, self.genre, self.tags):
            w.blockSignals(True)
        self.title.setText(project.title)
        select_genre(self.genre, project.query_type)
        g = self._genres.get(self.genre_name())
        if g is not None:
            self._show_length(g)
        self.tags.setText("，".join(project.tags))
        for w in (self.title, self.genre, self.tags):
            w.blockSignals(False)
        self.query.blockSignals(True)
        self.query.setPlainText(project.query)
        self.query.blockSignals(False)


# --------------------------------------------------------------------------------------------
class ThoughtTab(QWidget):
    """构思: one block per section, or the raw Markdown; both edit the same text."""

    edited = Signal()
    generate_requested = Signal()
    regenerate_requested = Signal(str)  # section key

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.structured_button = _named(QRadioButton(self.tr("分段视图")), self.tr("分段视图"))
        self.raw_button = _named(QRadioButton(self.tr("Markdown 原文")), self.tr("Markdown 原文"))
        self.structured_button.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.structured_button)
        group.addButton(self.raw_button)
        self.generate_button = _named(QPushButton(self.tr("生成构思")), self.tr("生成构思"))
        top = QHBoxLayout()
        top.addWidget(self.structured_button)
        top.addWidget(self.raw_button)
        top.addStretch(1)
        top.addWidget(self.generate_button)

        self.sections: dict[str, QPlainTextEdit] = {}
        self.regen_buttons: dict[str, QPushButton] = {}
        inner = QWidget()
        grid = QVBoxLayout(inner)
        titles = {
            "requirements": self.tr("审题"),
            "intent": self.tr("立意"),
            "structure": self.tr("结构"),
            "materials": self.tr("素材"),
            "style": self.tr("风格"),
            "self_check": self.tr("自查"),
        }
        for key, _zh in SECTIONS:
            box = QGroupBox(titles[key])
            edit = _named(QPlainTextEdit(), titles[key])
            edit.setMinimumHeight(70)
            # the box grows with its text (结构's five lines need no scroll bar); the page scrolls
            edit.document().documentLayout().documentSizeChanged.connect(lambda _s, e=edit: self._fit(e))
            button = _named(QPushButton(self.tr("重新生成此部分")), self.tr("重新生成") + titles[key])
            bl = QGridLayout(box)
            bl.addWidget(edit, 0, 0)
            bl.addWidget(button, 1, 0, Qt.AlignmentFlag.AlignRight)
            grid.addWidget(box)
            self.sections[key] = edit
            self.regen_buttons[key] = button
            edit.textChanged.connect(lambda k=key: self._section_edited(k))
            button.clicked.connect(lambda _c=False, k=key: self.regenerate_requested.emit(k))
        grid.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(inner)
        self.raw = _named(TextEditor(), self.tr("构思 Markdown 原文"))
        self.stack = QStackedWidget()
        self.stack.addWidget(scroll)
        self.stack.addWidget(self.raw)
        # 先想后写: what a thinking model thought before the 构思; read-only, folds away, and is
        # never part of the plan (which stays the editable 构思 beside it)
        self.thinking_box = QGroupBox(self.tr("模型的思考过程"))
        self.thinking_box.setCheckable(True)
        self.thinking_box.setChecked(True)
        self.thinking = _named(QPlainTextEdit(), self.tr("模型的思考过程"))
        self.thinking.setReadOnly(True)
        QVBoxLayout(self.thinking_box).addWidget(self.thinking)
        self.thinking_box.toggled.connect(self.thinking.setVisible)
        self.thinking_box.setVisible(False)
        body = QSplitter()
        body.addWidget(self.stack)
        body.addWidget(self.thinking_box)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 2)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(body, 1)

        self._syncing = False
        self._streaming: tuple[str, ...] = ()
        self.raw.textChanged.connect(self._raw_edited)
        self.structured_button.toggled.connect(self._view_changed)
        self.generate_button.clicked.connect(self.generate_requested)

    def markdown(self) -> str:
        return self.raw.toPlainText()

    def show_thinking(self, text: str) -> None:
        """The model's thinking so far (先想后写): the panel opens beside the 构思."""
        self.thinking_box.setVisible(True)
        old = self.thinking.toPlainText()
        if text.startswith(old):
            cursor = self.thinking.textCursor()
            cursor.movePosition(cursor.MoveOperation.End)
            cursor.insertText(text[len(old) :])
        else:
            self.thinking.setPlainText(text)

    # -- a 构思 streaming in ------------------------------------------------------------------------
    def begin_stream(self, keys: tuple[str, ...] | None = None) -> None:
        """The model is writing ``keys`` (every section when None): their boxes empty and wait,
        read-only, for :meth:`show_streamed`; the Markdown is untouched until the result."""
        self._streaming = keys or tuple(self.sections)
        self.stack.setCurrentIndex(0)
        if keys is None:  # a new 构思: the last one's thinking goes
            self.thinking.clear()
            self.thinking_box.setVisible(False)
        for key in self._streaming:
            edit = self.sections[key]
            edit.blockSignals(True)
            edit.setPlainText("")
            edit.blockSignals(False)
            edit.setReadOnly(True)
        self.generate_button.setEnabled(False)
        for b in self.regen_buttons.values():
            b.setEnabled(False)

    def show_streamed(self, key: str, text: str) -> None:
        edit = self.sections.get(key)
        if edit is None or key not in self._streaming or edit.toPlainText() == text:
            return
        edit.blockSignals(True)
        if text.startswith(edit.toPlainText()):
            cursor = edit.textCursor()
            cursor.movePosition(cursor.MoveOperation.End)
            cursor.insertText(text[len(edit.toPlainText()) :])
        else:
            edit.setPlainText(text)
        edit.blockSignals(False)

    def end_stream(self) -> None:
        """Streaming over (result, error or stop): the boxes show the Markdown again, editable."""
        if not self._streaming:
            return
        for key in self._streaming:
            self.sections[key].setReadOnly(False)
        self._streaming = ()
        self.generate_button.setEnabled(True)
        for b in self.regen_buttons.values():
            b.setEnabled(True)
        if self.structured_button.isChecked():
            self._fill_sections(self.raw.toPlainText())
        else:
            self.stack.setCurrentIndex(1)

    @staticmethod
    def _fit(edit: QPlainTextEdit) -> None:
        lines = max(2, int(edit.document().documentLayout().documentSize().height()))
        frame = 2 * edit.frameWidth() + int(edit.document().documentMargin() * 2) + 6
        edit.setFixedHeight(min(520, max(70, lines * edit.fontMetrics().lineSpacing() + frame)))

    def set_markdown(self, md: str, undoable: bool = False) -> None:
        self._syncing = True
        try:
            if undoable:
                self.raw.replace_all_undoably(md)
            else:
                self.raw.setPlainText(md)
            self._fill_sections(md)
        finally:
            self._syncing = False

    def _fill_sections(self, md: str) -> None:
        thought = Thought.from_markdown(md)
        for key, edit in self.sections.items():
            body = thought.section_text(key)
            if edit.toPlainText() != body:
                edit.blockSignals(True)
                edit.setPlainText(body)
                edit.blockSignals(False)

    def _section_edited(self, key: str) -> None:
        if self._syncing:
            return
        thought = Thought.from_markdown(self.raw.toPlainText())
        thought.set_section(key, self.sections[key].toPlainText())
        self._syncing = True
        try:
            self.raw.set_text_keep_view(thought.to_markdown())
        finally:
            self._syncing = False
        self.edited.emit()

    def _raw_edited(self) -> None:
        if self._syncing:
            return
        if self.stack.currentIndex() == 0:
            self._fill_sections(self.raw.toPlainText())
        self.edited.emit()

    def _view_changed(self, structured: bool) -> None:
        if structured:
            self._fill_sections(self.raw.toPlainText())
        self.stack.setCurrentIndex(0 if structured else 1)


# --------------------------------------------------------------------------------------------
class DraftTab(QWidget):
    """正文: the draft with its live stats and the model's actions."""

    edited = Signal()
    generate_requested = Signal()
    continue_requested = Signal()
    rewrite_requested = Signal()
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = _named(TextEditor(), self.tr("正文"))
        self.editor.setPlaceholderText(self.tr("在这里写正文，或按构思生成。"))
        self.stats = _named(QLabel(" "), self.tr("字数统计"))
        self.generate_button = _named(QPushButton(self.tr("按构思生成")), self.tr("按构思生成正文"))
        self.continue_button = _named(QPushButton(self.tr("续写")), self.tr("从光标处续写"))
        self.rewrite_button = _named(QPushButton(self.tr("改写选中…")), self.tr("按要求改写选中文字"))
        self.stop_button = _named(QPushButton(self.tr("停止 (Esc)")), self.tr("停止生成"))
        self.stop_button.setEnabled(False)
        buttons = QHBoxLayout()
        for b in (self.generate_button, self.continue_button, self.rewrite_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.stop_button)
        lay = QVBoxLayout(self)
        lay.addLayout(buttons)
        lay.addWidget(self.editor, 1)
        lay.addWidget(self.stats)
        self.editor.textChanged.connect(self.edited)
        self.generate_button.clicked.connect(self.generate_requested)
        self.continue_button.clicked.connect(self.continue_requested)
        self.rewrite_button.clicked.connect(self.rewrite_requested)
        self.stop_button.clicked.connect(self.stop_requested)

    def show_stats(self, chars: int, target: int, paragraphs: int, idioms: int, sentences: int) -> None:
        self.stats.setText(
            self.tr("字数 {0}/{1} · 段落 {2} · 句子 {3} · 成语 {4}").format(
                chars, target, paragraphs, sentences, idioms
            )
        )

    def set_generating(self, on: bool) -> None:
        self.editor.setReadOnly(on)
        for b in (self.generate_button, self.continue_button, self.rewrite_button):
            b.setEnabled(not on)
        self.stop_button.setEnabled(on)


# --------------------------------------------------------------------------------------------
class CritiqueTab(QWidget):
    """点评: scores as a chart, deductions, suggestions that point into the draft, metrics."""

    critique_requested = Signal()
    suggestion_clicked = Signal(str)  # the quoted passage
    rewrite_requested = Signal(str, str)  # the quoted passage, the suggested fix

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run_button = _named(QPushButton(self.tr("点评正文")), self.tr("点评正文"))
        self.no_model = _named(QCheckBox(self.tr("只用文本分析（不用模型）")), self.tr("只用文本分析"))
        self.total = _named(QLabel(self.tr("还没有点评。")), self.tr("总分"))
        self.total.setWordWrap(True)
        self.chart = _named(ScoreChart(), self.tr("分项得分图"))
        self.deductions = QLabel()
        self.deductions.setWordWrap(True)
        self.verdicts = _named(QLabel(), self.tr("评分来源"))
        self.verdicts.setWordWrap(True)
        self.evidence = _named(QListWidget(), self.tr("计算出的问题"))
        self.evidence.setWordWrap(True)
        self.suggestions = _named(QListWidget(), self.tr("修改建议"))
        self.suggestions.setWordWrap(True)
        self.rewrite_button = _named(QPushButton(self.tr("按建议改写")), self.tr("按建议改写这一段"))
        self.rewrite_button.setEnabled(False)
        self.metrics = _named(QTextBrowser(), self.tr("文本指标"))
        top = QHBoxLayout()
        top.addWidget(self.run_button)
        top.addWidget(self.no_model)
        top.addStretch(1)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.total)
        lay.addWidget(self.chart)
        lay.addWidget(self.verdicts)
        lay.addWidget(self.deductions)
        # the evidence and the suggestions side by side: both point into the draft
        found = QVBoxLayout()
        found_label = QLabel(self.tr("计算出的问题"))
        found_label.setToolTip(self.tr("单击一条，在正文中选中它引用的文字"))
        found.addWidget(found_label)
        found.addWidget(self.evidence, 1)
        advice = QVBoxLayout()
        head = QHBoxLayout()
        advice_label = QLabel(self.tr("修改建议"))
        advice_label.setToolTip(self.tr("单击一条，在正文中选中它引用的文字"))
        head.addWidget(advice_label, 1)
        head.addWidget(self.rewrite_button)
        advice.addLayout(head)
        advice.addWidget(self.suggestions, 1)
        row = QHBoxLayout()
        row.addLayout(found, 2)
        row.addLayout(advice, 3)
        lay.addLayout(row, 2)
        lay.addWidget(QLabel(self.tr("文本指标")))
        lay.addWidget(self.metrics, 1)
        self.run_button.clicked.connect(self.critique_requested)
        self.suggestions.itemClicked.connect(self._clicked)
        self.evidence.itemClicked.connect(self._clicked)
        self.suggestions.currentItemChanged.connect(
            lambda cur, _prev: self.rewrite_button.setEnabled(
                cur is not None and bool(cur.data(Qt.ItemDataRole.UserRole))
            )
        )
        self.rewrite_button.clicked.connect(self._rewrite)

    def _rewrite(self) -> None:
        item = self.suggestions.currentItem()
        if item is not None and item.data(Qt.ItemDataRole.UserRole):
            self.rewrite_requested.emit(
                item.data(Qt.ItemDataRole.UserRole), item.data(Qt.ItemDataRole.UserRole + 1) or ""
            )

    def _clicked(self, item: QListWidgetItem) -> None:
        quote = item.data(Qt.ItemDataRole.UserRole)
        if quote:
            self.suggestion_clicked.emit(quote)

    def clear(self) -> None:
        self.total.setText(self.tr("还没有点评。"))
        self.chart.set_scores([])
        self.deductions.clear()
        self.verdicts.clear()
        self.evidence.clear()
        self.suggestions.clear()
        self.metrics.clear()

    def show_result(self, data: dict[str, Any]) -> None:
        source = self.tr("模型点评") if data.get("source") == "model" else self.tr("文本分析估分")
        self.total.setText(
            self.tr("总分 {0}/{1}（{2}，评分标准：{3}）").format(
                data.get("total", 0), data.get("max_total", 0), source, data.get("rubric", "")
            )
        )
        self.chart.set_scores(
            [
                (d.get("name", d.get("key", "")), d.get("score", 0), d.get("max", 0))
                for d in data.get("dimensions", [])
            ]
        )
        self.verdicts.setText(self._verdicts(data))
        self.evidence.clear()
        for ev in data.get("evidence") or []:
            for quote in ev.get("quotes") or [""]:
                item = QListWidgetItem(
                    f"{ev.get('message', '')}\n「{quote}」" if quote else ev.get("message", "")
                )
                item.setData(Qt.ItemDataRole.UserRole, quote)
                self.evidence.addItem(item)
        if not self.evidence.count():
            self.evidence.addItem(QListWidgetItem(self.tr("没有发现重复、照抄、助手口吻、循环或离题。")))
        ded = data.get("deductions") or []
        self.deductions.setText(
            self.tr("扣分：") + "；".join(f"{d.get('rule', '')} {d.get('points', 0)}" for d in ded)
            if ded
            else ""
        )
        self.suggestions.clear()
        for s in data.get("suggestions", []):
            item = QListWidgetItem(
                self.tr("「{0}」\n问题：{1}\n建议：{2}").format(
                    s.get("quote", ""), s.get("issue", ""), s.get("fix", "")
                )
            )
            item.setData(Qt.ItemDataRole.UserRole, s.get("quote", ""))
            item.setData(Qt.ItemDataRole.UserRole + 1, f"{s.get('issue', '')}：{s.get('fix', '')}")
            self.suggestions.addItem(item)
        self.show_metrics(data.get("metrics") or {})

    def _verdicts(self, data: dict[str, Any]) -> str:
        """The verdicts side by side: the model's (or the text's) dimensions, the calibrated total,
        the analysis-only estimate; then how far the total follows the model, and any warning."""
        top = data.get("max_total", 0)
        source = self.tr("模型") if data.get("source") == "model" else self.tr("文本分析")
        parts = [
            self.tr("{0}各项之和 {1}/{2}").format(
                source, data.get("dimension_total", data.get("total", 0)), top
            )
        ]
        cal = data.get("calibration")
        if cal:
            parts.append(self.tr("校准后总分 {0}/{1}").format(data.get("total", 0), top))
        est = data.get("estimate")
        if est:
            parts.append(self.tr("文本估分 {0}/{1}").format(est.get("total", 0), top))
        lines = [" · ".join(parts)]
        tiers = [f"{d.get('name', '')}：{d['band']}" for d in data.get("dimensions", []) if d.get("band")]
        if tiers:
            lines.append(self.tr("模型定的等级：") + "，".join(tiers))
        if cal:
            lines.append(cal.get("note", ""))
            lex = cal.get("lexical")
            if lex:
                lines.append(self._lexical_line(lex))
        if data.get("scaled"):
            raw = sum(d.get("unscaled", d.get("score", 0)) for d in data.get("dimensions", []))
            lines.append(
                self.tr("各项原共 {0} 分，已等比例调整，使各项加扣分等于总分 {1}。").format(
                    raw, data.get("total", 0)
                )
            )
        lines += [self.tr("注意：") + w for w in data.get("warnings") or []]
        return "\n".join(line for line in lines if line)

    def _lexical_line(self, lex: dict[str, Any]) -> str:
        """The lexical signal: its points, its share of the total's distance from the average, and
        the clauses of this essay that raised and lowered it most."""
        line = self.tr("用字用词（从教师评分学得）：比一般作文 {0} 分，占总分偏离平均的 {1}").format(
            f"{lex.get('points', 0):+.1f}", f"{lex.get('weight', 0):.0%}"
        )
        for key, label in (("raised", self.tr("；加分最多：")), ("lowered", self.tr("；减分最多："))):
            quotes = lex.get(key) or []
            if quotes:
                line += label + self.tr("、").join(f"「{q['quote']}」{q['points']:+.1f}" for q in quotes)
        return line

    def show_metrics(self, m: dict[str, Any]) -> None:
        rows = [
            (
                self.tr("字数"),
                f"{m.get('chars', 0)} / {m.get('target_chars', 0)}"
                + (self.tr("（标题 {0} 字不计入）").format(m["title_chars"]) if m.get("title_chars") else ""),
            ),
            (self.tr("段落"), m.get("paragraphs", 0)),
            (self.tr("句子"), m.get("sentences", 0)),
            (self.tr("平均句长"), m.get("avg_sentence_chars", 0)),
            (self.tr("词汇丰富度 (MATTR)"), m.get("mattr", 0)),
            (self.tr("关联词 / 百字"), m.get("connectives_per_100", 0)),
            (self.tr("成语"), "、".join(m.get("idioms", [])[:12]) or "—"),
            (self.tr("关键词"), "、".join(m.get("keywords", [])[:10]) or "—"),
            (self.tr("切题度"), "—" if m.get("prompt_overlap") is None else f"{m['prompt_overlap']:.0%}"),
            (
                self.tr("重复片段"),
                "、".join(r.get("ngram", "") for r in m.get("repeated_ngrams", [])[:5]) or "—",
            ),
        ]
        body = "".join(
            f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>" for k, v in rows
        )
        self.metrics.setHtml(f"<table cellpadding='3'>{body}</table>")


# --------------------------------------------------------------------------------------------
class HistoryTab(QWidget):
    """历史: every revision, a word-level diff against the current text, and restore."""

    restore_requested = Signal(int)
    revision_selected = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = RevisionListModel(self)
        self.view = _named(QListView(), self.tr("版本列表"))
        self.view.setModel(self.model)
        self.diff = _named(QTextBrowser(), self.tr("与当前文本的差异"))
        self.restore_button = _named(QPushButton(self.tr("恢复此版本")), self.tr("恢复此版本"))
        self.restore_button.setEnabled(False)
        self.snapshot_button = _named(QPushButton(self.tr("保存快照 (Ctrl+S)")), self.tr("保存快照"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.snapshot_button)
        buttons.addStretch(1)
        buttons.addWidget(self.restore_button)
        lay = QVBoxLayout(self)
        lay.addWidget(self.view, 1)
        lay.addWidget(QLabel(self.tr("与当前文本相比（绿色：此版本多出的；红色删除线：当前文本多出的）")))
        lay.addWidget(self.diff, 2)
        lay.addLayout(buttons)
        self.view.selectionModel().currentChanged.connect(self._current)
        self.restore_button.clicked.connect(self._restore)

    def _current(self, current: QModelIndex, _prev: QModelIndex) -> None:
        self.restore_button.setEnabled(current.isValid())
        if current.isValid():
            self.revision_selected.emit(int(current.data(IdRole)))

    def _restore(self) -> None:
        idx = self.view.currentIndex()
        if idx.isValid():
            self.restore_requested.emit(int(idx.data(IdRole)))

    def current_revision(self) -> Any:
        idx = self.view.currentIndex()
        return idx.data(RowRole) if idx.isValid() else None

    def show_diff(self, ops: list[Any]) -> None:
        """``ops`` turn the current text into the revision: inserts are what the revision adds."""
        self.diff.setHtml(diff_html(ops) or self.tr("（与当前文本相同）"))


def diff_html(ops: list[Any]) -> str:
    """A word-level diff as HTML: insertions green, deletions red and struck through."""
    out = []
    for op in ops:
        t = html.escape(op.text).replace("\n", "<br>")
        if op.op == "equal":
            out.append(t)
        elif op.op == "insert":
            out.append(f"<span style='background:#c8f0c8;color:#000'>{t}</span>")
        else:
            out.append(f"<span style='background:#f6c8c8;color:#000;text-decoration:line-through'>{t}</span>")
    return "".join(out)


# --------------------------------------------------------------------------------------------
class AnnotationPanel(QWidget):
    """批注: comments on ranges of the thought or the draft."""

    add_requested = Signal(str)  # the comment
    resolve_requested = Signal(int, bool)
    remove_requested = Signal(int)
    annotation_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = AnnotationListModel(self)
        self.view = _named(QListView(), self.tr("批注列表"))
        self.view.setModel(self.model)
        self.view.setWordWrap(True)
        self.comment = _named(QPlainTextEdit(), self.tr("批注内容"))
        self.comment.setPlaceholderText(self.tr("先在构思（Markdown 原文）或正文中选中文字，再写批注"))
        self.comment.setMaximumHeight(90)
        self.add_button = _named(QPushButton(self.tr("添加批注")), self.tr("添加批注"))
        self.remove_button = _named(QPushButton(self.tr("删除批注")), self.tr("删除批注"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(self.tr("批注（勾选表示已解决）")))
        lay.addWidget(self.view, 1)
        lay.addWidget(self.comment)
        lay.addLayout(buttons)
        self.add_button.clicked.connect(self._add)
        self.remove_button.clicked.connect(self._remove)
        self.view.clicked.connect(self._clicked)
        self.model.resolve_toggled.connect(self.resolve_requested)

    def _add(self) -> None:
        text = self.comment.toPlainText().strip()
        if text:
            self.add_requested.emit(text)

    def _remove(self) -> None:
        idx = self.view.currentIndex()
        if idx.isValid():
            self.remove_requested.emit(int(idx.data(IdRole)))

    def _clicked(self, idx: QModelIndex) -> None:
        a = idx.data(RowRole)
        if a is not None:
            self.annotation_clicked.emit(a.id)
