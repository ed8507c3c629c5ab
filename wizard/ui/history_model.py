"""The History window's table model: the grants a page at a time, filtered and sorted by SQLite,
loaded on a worker thread as the view scrolls (canFetchMore / fetchMore), so a history of
100,000 grants opens as fast as one of ten and the event loop never waits on the disk."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from wizard.store.grant_columns import SHOWN, GrantQuery, HistoryRecord, LocalTime

if TYPE_CHECKING:
    from wizard.store.history import History

PAGE = 500

Index = QModelIndex | QPersistentModelIndex


class HistoryModel(QAbstractTableModel):
    loaded = Signal()  # a reset finished: rows, total and hidden are current
    failed = Signal(object)  # the exception of a read

    def __init__(self, history: History, parent: Any = None) -> None:
        super().__init__(parent)
        self.history = history
        self.rows: list[HistoryRecord] = []
        self.total = 0  # how many grants match, loaded or not
        self.hidden = 0  # practice grants the filter leaves out
        self.query = GrantQuery(include_practice=False)
        self.clock = LocalTime()  # the command's clock: both show the operator's local time
        self._generation = 0  # a reset makes every page still in flight stale
        self._loading: asyncio.Task[None] | None = None

    # -- reading ---------------------------------------------------------------------------

    def reset(self, *, text: str | None = None, include_practice: bool | None = None) -> None:
        if text is not None:
            self.query = dataclasses.replace(self.query, text=text)
        if include_practice is not None:
            self.query = dataclasses.replace(self.query, include_practice=include_practice)
        self._generation += 1
        if self._loading is not None:
            self._loading.cancel()
        self._loading = asyncio.ensure_future(self._reset(self._generation))

    async def _reset(self, generation: int) -> None:
        try:
            listing = await asyncio.to_thread(self.history.listing, self.query, limit=PAGE)
        except Exception as exc:
            if generation == self._generation:
                self.failed.emit(exc)
            return
        if generation != self._generation:
            return
        self.beginResetModel()
        self.rows, self.total, self.hidden = listing.records, listing.total, listing.hidden
        self.endResetModel()
        self._loading = None
        self.loaded.emit()

    def all_matching(self) -> Callable[[], list[HistoryRecord]]:
        """For an export: every matching grant, not only the loaded ones (run on a worker)."""
        return functools.partial(self.history.page, self.query)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._loading is None and len(self.rows) < self.total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._loading = asyncio.ensure_future(self._more(self._generation, len(self.rows)))

    async def _more(self, generation: int, offset: int) -> None:
        try:
            rows = await asyncio.to_thread(
                functools.partial(self.history.page, self.query, offset=offset, limit=PAGE)
            )
        except Exception as exc:
            if generation == self._generation:
                self._loading = None
                self.failed.emit(exc)
            return
        if generation != self._generation or offset != len(self.rows):
            return
        self._loading = None
        if rows:
            self.beginInsertRows(QModelIndex(), offset, offset + len(rows) - 1)
            self.rows.extend(rows)
            self.endInsertRows()
        else:
            self.total = len(self.rows)  # fewer than counted: deleted meanwhile

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.query = dataclasses.replace(
            self.query,
            order_by=SHOWN[column].sort_by,
            descending=order == Qt.SortOrder.DescendingOrder,
        )
        self.reset()

    # -- the table -------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(SHOWN)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or role not in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
        ):
            return None
        record = self.rows[index.row()]
        text = SHOWN[index.column()].cell(record, self.clock)
        if role == Qt.ItemDataRole.ToolTipRole:
            # The whole value (a narrow column elides it), and the record's note.
            return "\n".join(part for part in (text, record.note) if part) or None
        return text

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return SHOWN[section].header
        return None
