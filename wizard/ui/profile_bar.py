"""Saved profiles on the first page: choose, save, rename, delete.

A profile fills both the Nylas page and the Zoom app page; its secrets live only in the OS
keyring (or, without one, in memory for this session, which the bar says plainly). Every file
and keyring access runs on a worker thread so the window never waits on the disk or D-Bus.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from wizard.store.secret_kinds import NYLAS_SECRET, ZOOM_SECRET
from wizard.ui import core
from wizard.ui.tasks import PageTask
from wizard.ui.widgets import StatusLine

if TYPE_CHECKING:
    from wizard.store.profile_service import OpenedProfile
    from wizard.store.profiles import Profile
    from wizard.ui.session import WizardSession
    from wizard.ui.wizard import OnboardingWizard

NONE = "(no profile)"


class ProfileBar(QWidget):
    def __init__(
        self, owner: Callable[[], OnboardingWizard], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._owner = owner
        self.task = PageTask(self)
        # Its own task: finding the keyring after the names must not cancel what is clicked.
        self._keyring_task = PageTask(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        label = QLabel("Pr&ofile:", self)
        self.combo = QComboBox(self)
        self.combo.setAccessibleName("Profile")
        self.combo.setMinimumContentsLength(18)
        label.setBuddy(self.combo)
        self.save = QPushButton("Sa&ve", self)
        self.save.setToolTip("Save the values of this page and the Zoom app page as a profile")
        self.rename = QPushButton("Rena&me...", self)
        self.delete = QPushButton("De&lete", self)
        for button in (self.save, self.rename, self.delete):
            button.setAutoDefault(False)
        row.addWidget(label)
        row.addWidget(self.combo, 1)
        row.addWidget(self.save)
        row.addWidget(self.rename)
        row.addWidget(self.delete)
        layout.addLayout(row)
        self.note = StatusLine(self)
        layout.addWidget(self.note)
        # Its own line: it stays true for the whole session, whatever the note says next.
        self.keyring_note = StatusLine(self)
        layout.addWidget(self.keyring_note)
        self.combo.activated.connect(self._chosen)
        self.save.clicked.connect(self._save_clicked)
        self.rename.clicked.connect(self._rename_clicked)
        self.delete.clicked.connect(self._delete_clicked)
        self._update_buttons()

    @property
    def session(self) -> WizardSession:
        return self._owner().session

    def current(self) -> str | None:
        name = self.combo.currentText()
        return None if self.combo.currentIndex() <= 0 else name

    def _update_buttons(self) -> None:
        chosen = self.current() is not None
        self.rename.setEnabled(chosen)
        self.delete.setEnabled(chosen)

    # -- loading ---------------------------------------------------------------------------

    def load(self, select_last: bool = True) -> None:
        self.task.start(
            self._load(), lambda chosen: self._loaded(chosen, select_last), self._failed
        )

    async def _load(self) -> tuple[list[str], str | None]:
        # The names first (the profile store alone is loaded ahead of the rest of the core);
        # the keyring is found after, for the secrets and its note.
        return await self.session.profile_names()

    def _loaded(self, loaded: tuple[list[str], str | None], select_last: bool) -> None:
        names, last = loaded
        self._fill(names, self.session.profile_name or (last if select_last else None))
        if select_last and last in names and self.session.profile_name is None:
            self._apply(last)  # its secrets: the keyring, and its note with them
        else:
            self._keyring_task.start(self._keyring(), self._keyring_found, self._failed)

    async def _keyring(self) -> str:
        return (await self.session.secret_store()).unavailable_reason

    def _keyring_found(self, problem: str) -> None:
        if problem:
            self.keyring_note.info(problem)

    def _fill(self, names: list[str], selected: str | None) -> None:
        self.combo.clear()
        self.combo.addItem(NONE)
        self.combo.addItems(names)
        index = self.combo.findText(selected) if selected else 0
        self.combo.setCurrentIndex(max(index, 0))
        self._update_buttons()

    def _chosen(self, index: int) -> None:
        name = self.current()
        self._update_buttons()
        if name is None:
            self.session.choose_profile(None)
            return
        self._apply(name)

    def _apply(self, name: str) -> None:
        self.task.start(self._read(name), self._show, self._failed)

    async def _read(self, name: str) -> OpenedProfile:
        service = await self.session.profile_service()
        self._keyring_found(service.secrets.unavailable_reason)
        return await asyncio.to_thread(service.open, name)

    def _show(self, opened: OpenedProfile) -> None:
        profile, secrets = opened.profile, opened.secrets
        self.session.choose_profile(profile.name)
        wizard = self._owner()
        wizard.connection_page.apply_profile(profile, secrets[NYLAS_SECRET])
        wizard.zoom_app_page.apply_profile(profile, secrets[ZOOM_SECRET])
        missing = opened.missing
        if opened.refused:
            self.note.info(f"Profile {profile.name!r} loaded without its secrets. {opened.refused}")
        elif missing:
            self.note.info(
                f"Profile {profile.name!r} loaded; enter the "
                f"{' and '.join(k.replace('_', ' ') for k in missing)}: "
                "they are not saved on this computer."
            )
        else:
            self.note.ok(f"Profile {profile.name!r} loaded, secrets from the system keyring.")
            page = wizard.connection_page
            if profile.region != "sandbox" and not page.task.running:
                # Everything is there: check at once, as for the sandbox's demo values, so
                # Next is one Return away instead of a click on Check connection first.
                page.start_check()

    # -- saving, renaming, deleting --------------------------------------------------------

    def _save_clicked(self) -> None:
        name = self.current()
        if name is None:
            self._ask_name("Save profile", "Name for this profile:", "", self._save_as)
        else:
            self._save_as(name)

    def _save_as(self, name: str) -> None:
        wizard = self._owner()
        try:
            profile = core.Profile(
                name=name,
                **wizard.connection_page.profile_fields(),
                **wizard.zoom_app_page.profile_fields(),
            )
        except (core.ProfileError, ValueError) as exc:
            self.note.error(f"Not saved: {exc}")
            return
        secrets = {
            NYLAS_SECRET: wizard.connection_page.secret.text(),
            ZOOM_SECRET: wizard.zoom_app_page.zoom_secret.text(),
        }
        self.task.start(self._write(profile, secrets), self._saved, self._failed)

    async def _write(self, profile: Profile, secrets: dict[str, str]) -> tuple[str, bool, str]:
        service = await self.session.profile_service()
        kept = await asyncio.to_thread(service.save, profile, secrets)
        # Not kept although the keyring is there: it refused this once (a Deny, locked).
        refused = service.secrets.refused if not kept and service.secrets.available else ""
        return profile.name, kept, refused

    def _saved(self, saved: tuple[str, bool, str]) -> None:
        name, kept, refused = saved
        self.session.choose_profile(name)
        for field in self._owner().settings_fields():
            field.setModified(False)  # kept now: closing loses nothing of them
        if kept:
            self.note.ok(f"Saved profile {name!r}; its secrets are in the system keyring.")
        elif refused:
            self.note.info(
                f"Saved profile {name!r}; its secrets are kept for this session only, because "
                f"{refused}. Save again to be asked again."
            )
        else:
            self.note.info(
                f"Saved profile {name!r} without its secrets: no system keyring is "
                "available, so they are kept for this session only."
            )
        self.load(select_last=False)

    def _rename_clicked(self) -> None:
        old = self.current()
        if old is not None:
            self._ask_name(
                "Rename profile", f"New name for {old!r}:", old, lambda new: self._rename(old, new)
            )

    def _rename(self, old: str, new: str) -> None:
        async def rename() -> str:
            service = await self.session.profile_service()
            return await asyncio.to_thread(service.rename, old, new)

        def renamed(name: str) -> None:
            self.session.choose_profile(name)
            self.note.ok(f"Renamed {old!r} to {name!r}.")
            self.load(select_last=False)

        self.task.start(rename(), renamed, self._failed)

    def _delete_clicked(self) -> None:
        name = self.current()
        if name is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete profile",
            f"Delete the profile {name!r} and its saved secrets? Grants already "
            "in the history stay.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("confirmDelete")
        box.accepted.connect(lambda: self._delete(name))
        box.open()  # never exec(): the qasync loop must keep running

    def _delete(self, name: str) -> None:
        async def delete() -> None:
            service = await self.session.profile_service()
            await asyncio.to_thread(service.delete, name)

        def deleted(_none: None) -> None:
            self.session.choose_profile(None)
            self.note.ok(f"Deleted profile {name!r}.")
            self.load(select_last=False)

        self.task.start(delete(), deleted, self._failed)

    def _ask_name(self, title: str, label: str, value: str, then: Callable[[str], None]) -> None:
        dialog = QInputDialog(self)
        dialog.setObjectName("profileName")
        dialog.setWindowTitle(title)
        dialog.setLabelText(label)
        dialog.setTextValue(value)
        dialog.textValueSelected.connect(then)
        dialog.open()

    def _failed(self, exc: BaseException) -> None:
        # One wording for every error (never a Python class name), redacted like the log.
        self.note.error(
            str(exc)
            if isinstance(exc, ValueError)
            else f"The profile could not be used: {core.explain(exc).text()}"
        )
