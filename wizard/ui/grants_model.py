"""The Grants window's table model: the application's Zoom grants read from Nylas a page at a
time as the view scrolls (canFetchMore / fetchMore), each page awaited on the qasync loop
through a PageTask, so 10,000 grants open as fast as ten and the window never waits on the
network. The reading itself (invalid first, joined with the history) is the flow's
(wizard/flow/grants.py), reached through the session."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont

from wizard.store.grant_columns import LocalTime
from wizard.store.grant_listing import HEADERS, SHOWN, ListedGrant
from wizard.ui.tasks import PageTask

if TYPE_CHECKING:
    from wizard.flow.grants import GrantCursor, GrantPage, GrantWorklist

Index = QModelIndex | QPersistentModelIndex


class GrantsModel(QAbstractTableModel):
    loaded = Signal()  # a page arrived (the first one after a reset, or one more)
    failed = Signal(object)  # the exception of a read

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[ListedGrant] = []
        self.clock = LocalTime()
        self.pages_read = 0  # pages fetched since the last reset (what the view asked for)
        self._worklist: GrantWorklist | None = None
        self._next: GrantCursor | None = None
        self._task = PageTask(self)  # one read at a time; a reset cancels the one in flight
        self._bold = QFont()
        self._bold.setBold(True)

    @property
    def busy(self) -> bool:
        return self._task.running

    @property
    def complete(self) -> bool:
        """Every grant is loaded (nothing more to fetch)."""
        return self._worklist is not None and self._next is None and not self.busy

    @property
    def invalid(self) -> int:
        return sum(1 for grant in self.rows if grant.needs_attention)

    def reset(self, worklist: GrantWorklist) -> None:
        """Read again from the first page (another status, a refresh, a change made here)."""
        self._task.cancel()
        self.beginResetModel()
        self.rows, self._worklist, self._next, self.pages_read = [], worklist, None, 0
        self.endResetModel()
        self._read(None)

    def clear(self) -> None:
        self._task.cancel()
        self.beginResetModel()
        self.rows, self._worklist, self._next = [], None, None
        self.endResetModel()

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._next is not None and not self.busy

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._read(self._next)

    def _read(self, cursor: GrantCursor | None) -> None:
        assert self._worklist is not None
        self._task.start(self._worklist.page(cursor), self._arrived, self.failed.emit)

    def _arrived(self, page: GrantPage) -> None:
        self.pages_read += 1
        self._next = page.next
        if page.grants:
            start = len(self.rows)
            self.beginInsertRows(QModelIndex(), start, start + len(page.grants) - 1)
            self.rows.extend(page.grants)
            self.endInsertRows()
        self.loaded.emit()

    # -- the table -------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(SHOWN)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        grant = self.rows[index.row()]
        if role == Qt.ItemDataRole.FontRole:
            # The ones that need attention stand out (they come first anyway).
            return self._bold if grant.needs_attention and index.column() == 0 else None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        text = SHOWN[index.column()].cell(grant, self.clock)
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 0 and grant.needs_attention:
            return "Invalid: the Zoom user must consent again (Re-authenticate keeps the grant id)"
        return text

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None
