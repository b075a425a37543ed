"""Qt item models ("list models") over the project library: projects, revisions, annotations.

They hold plain rows from the storage layer; the views ask for a page at a time, so a library
of 10,000 projects costs one query of 200 rows to show.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

PAGE = 200
IdRole = Qt.ItemDataRole.UserRole + 1
RowRole = Qt.ItemDataRole.UserRole + 2

Index = QModelIndex | QPersistentModelIndex


def when(ts: float) -> str:
    """A short local time: today's as 14:05, older ones as 11-03 or 2025-11-03."""
    lt, now = time.localtime(ts), time.localtime()
    if lt[:3] == now[:3]:
        return time.strftime("%H:%M", lt)
    if lt.tm_year == now.tm_year:
        return time.strftime("%m-%d", lt)
    return time.strftime("%Y-%m-%d", lt)


class _RowsModel(QAbstractListModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def row_at(self, row: int) -> Any:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rows(self) -> list[Any]:
        return list(self._rows)

    def set_rows(self, rows: list[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_of(self, item_id: int) -> int:
        for i, r in enumerate(self._rows):
            if r.id == item_id:
                return i
        return -1

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren


class ProjectListModel(_RowsModel):
    """Projects newest first, fetched in pages from a ``fetch(limit, offset)`` function; or the
    hits of a search (``set_rows`` with rows that have id, title, query_type and updated)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._fetch: Callable[[int, int], list[Any]] | None = None
        self._more = False

    def set_source(self, fetch: Callable[[int, int], list[Any]] | None) -> None:
        self.beginResetModel()
        self._fetch = fetch
        self._rows = fetch(PAGE, 0) if fetch else []
        self._more = fetch is not None and len(self._rows) == PAGE
        self.endResetModel()

    def set_rows(self, rows: list[Any]) -> None:
        self._fetch, self._more = None, False
        super().set_rows(rows)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or not self._more or self._fetch is None:
            return
        page = self._fetch(PAGE, len(self._rows))
        self._more = len(page) == PAGE
        if page:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(page) - 1)
            self._rows.extend(page)
            self.endInsertRows()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        p = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{project_title(p)}\n{p.query_type or '—'} · {when(p.updated)}"
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return getattr(p, "snippet", "") or getattr(p, "query", "")[:200] or p.title
        if role == IdRole:
            return p.id
        if role == RowRole:
            return p
        return None

    def update_row(self, project: Any) -> None:
        """A project changed (renamed, saved): refresh its row without reloading the list."""
        row = self.row_of(project.id)
        if row >= 0:
            self._rows[row] = project
            idx = self.index(row)
            self.dataChanged.emit(idx, idx)


def project_title(p: Any) -> str:
    first = (getattr(p, "query", "").strip().splitlines() or [""])[0][:24]
    return p.title or first or QCoreApplication.translate("ListModels", "（无题）")


def kind_name(kind: str) -> str:
    names = {
        "autosave": QCoreApplication.translate("ListModels", "自动保存"),
        "snapshot": QCoreApplication.translate("ListModels", "快照"),
        "generation": QCoreApplication.translate("ListModels", "生成"),
        "restore": QCoreApplication.translate("ListModels", "恢复"),
        "import": QCoreApplication.translate("ListModels", "导入"),
        "conflict": QCoreApplication.translate("ListModels", "冲突"),
    }
    return names.get(kind, kind)


def field_name(name: str) -> str:
    names = {
        "query": QCoreApplication.translate("ListModels", "题目"),
        "thought": QCoreApplication.translate("ListModels", "构思"),
        "answer": QCoreApplication.translate("ListModels", "正文"),
    }
    return names.get(name, name)


class RevisionListModel(_RowsModel):
    """A project's revisions, newest first."""

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        r = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            label = f" · {r.label}" if r.label else ""
            return (
                f"{time.strftime('%m-%d %H:%M:%S', time.localtime(r.created))}  "
                f"{field_name(r.field)} · {kind_name(r.kind)}{label} · {len(r.text)}"
                + QCoreApplication.translate("ListModels", "字")
            )
        if role == IdRole:
            return r.id
        if role == RowRole:
            return r
        return None


class AnnotationListModel(_RowsModel):
    """A project's annotations; resolved ones are checked, detached ones marked."""

    resolve_toggled = Signal(int, bool)  # annotation id, resolved

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.CheckStateRole:
            return False
        a = self._rows[index.row()]
        resolved = Qt.CheckState(value) == Qt.CheckState.Checked
        self._rows[index.row()] = replace(a, resolved=resolved)
        self.dataChanged.emit(index, index, [role])
        self.resolve_toggled.emit(a.id, resolved)
        return True

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        a = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            state = QCoreApplication.translate("ListModels", "（原文已改动，未定位）") if a.detached else ""
            author = a.author or QCoreApplication.translate("ListModels", "匿名")
            return f"{author} · {field_name(a.field)}{state}\n「{a.quote[:30]}」\n{a.body}"
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if a.resolved else Qt.CheckState.Unchecked
        if role == IdRole:
            return a.id
        if role == RowRole:
            return a
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        flags = super().flags(index)
        return flags | Qt.ItemFlag.ItemIsUserCheckable if index.isValid() else flags
