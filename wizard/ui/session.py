"""What the wizard keeps between pages for one operator session (Qt side only).

Pages ask the session for the flow and write back what the operator chose; the session owns the
flow's lifetime (and the in-process sandbox's) so that nothing leaks when the window closes.

The core (flow, client, stores, sandbox) is imported on first use, on worker threads where it
can be: the window appears before any of it is loaded (bench/run.py, row 1).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from wizard.logs import remember_secret
from wizard.store.paths import AppPaths
from wizard.ui import core, loader
from wizard.ui.late_grants import LateGrants
from wizard.ui.loader import first_on_loader, on_loader
from wizard.ui.queue_work import QueueWork
from wizard.ui.remote_work import RemoteWork

if TYPE_CHECKING:
    from wizard.flow import (
        CustomerAccount,
        FlowEvent,
        IntegrationOutcome,
        IntegrationSpec,
        LateAnswer,
        OnboardingFlow,
        OnboardingResult,
    )
    from wizard.flow.onboarding import BrowserOpener, OpenLink
    from wizard.sandbox import SandboxServer
    from wizard.store.recorder import HistoryRecorder
    from wizard.store.secrets import SecretStore
    from wizard.target import Target

log = logging.getLogger(__name__)


class WizardSession(QObject):
    """What the wizard keeps between pages. Pages read it and state their intent through its
    methods (choose a profile, the Zoom app, the account; record a result); `changed` follows
    each. The flow's own state stays in the flow."""

    flowEvent = Signal(object)  # every FlowEvent of the current flow
    changed = Signal()
    sandboxChanged = Signal(bool)
    lateAnswer = Signal(object)  # a LateAnswer: an earlier link came back to this window

    def __init__(
        self,
        opener: BrowserOpener,
        parent: QObject | None = None,
        *,
        browser_grace: float = 20.0,
    ) -> None:
        super().__init__(parent)
        self.opener = opener
        # Seconds without a request at the listener before the page says the browser may not
        # have opened.
        self.browser_grace = browser_grace
        self.sandbox: SandboxServer | None = None
        self.flow: OnboardingFlow | None = None
        self.target: Target | None = None
        # What the pages chose: read through the properties, changed only through the intent
        # methods below (each says so with `changed`).
        self._integration: IntegrationOutcome | None = None
        self._spec: IntegrationSpec | None = None
        self._account: CustomerAccount | None = None
        self._result: OnboardingResult | None = None
        self._profile_name: str | None = None
        self._grants: list[str] = []
        self.recorder: HistoryRecorder | None = None
        self.paths = AppPaths.default()
        self._secrets: SecretStore | None = None
        self._late_tasks: set[asyncio.Task[None]] = set()
        self.work = QueueWork(lambda: self.queue, lambda: self.practice, self.loaded, self.spawn)
        self.remote = RemoteWork(self)  # links sent to customers on another computer
        self.late = LateGrants(self)  # sign-ins of earlier runs whose grants came back late

    @functools.cached_property
    def profiles(self) -> core.ProfileStore:
        return core.ProfileStore(self.paths.profiles_file)

    @functools.cached_property
    def queue(self) -> core.WorkQueue:
        return core.WorkQueue(self.paths.history_db)

    @functools.cached_property
    def history(self) -> core.History:
        return core.History(self.paths.history_db, self.paths.history_fallback)

    async def profile_service(self) -> core.ProfileService:
        """Profiles with their keyring secrets (Qt-free: store/profile_service.py)."""
        secrets = await self.secret_store()  # first: it loads the modules named below
        return core.ProfileService(self.profiles, secrets)

    async def profile_names(self) -> tuple[list[str], str | None]:
        """The saved profiles' names and the last used, without the keyring: the first page
        lists them before the keyring is found (its store only is loaded first)."""
        await loader.once_on_loader(core.preload_profiles)
        return await asyncio.to_thread(self.profiles.names)

    async def secret_store(self) -> SecretStore:
        """The keyring, found on a worker thread: backend discovery may block on D-Bus."""
        if self._secrets is None:
            self._secrets = await first_on_loader(_new_secret_store)
        return self._secrets

    # -- what the pages chose ---------------------------------------------------------------

    @property
    def profile_name(self) -> str | None:
        return self._profile_name

    @property
    def integration(self) -> IntegrationOutcome | None:
        return self._integration

    @property
    def spec(self) -> IntegrationSpec | None:
        return self._spec

    @property
    def account(self) -> CustomerAccount | None:
        return self._account

    @property
    def result(self) -> OnboardingResult | None:
        return self._result

    @property
    def grants_this_session(self) -> tuple[str, ...]:
        return tuple(self._grants)

    def choose_profile(self, name: str | None) -> None:
        self._profile_name = name
        self.changed.emit()

    def choose_zoom_app(self, spec: IntegrationSpec) -> None:
        self._spec = spec
        self.changed.emit()

    def choose_account(self, account: CustomerAccount) -> None:
        self._account = account
        self.changed.emit()

    def record_result(self, result: OnboardingResult) -> None:
        self.add_grant(result.grant_id)
        self.show_result(result)

    def show_result(self, result: OnboardingResult) -> None:  # counted already: add_grant
        self._result = result
        self.changed.emit()

    def add_grant(self, grant_id: str) -> None:
        self._grants.append(grant_id)
        self.changed.emit()

    def next_account(self) -> None:
        """The result is shown; the next customer starts from an empty account page."""
        self._result = None
        self.changed.emit()

    def forget_integration(self) -> None:
        """The Zoom app or the target changed: the integration must be set up again."""
        self._integration = None
        self.changed.emit()

    def integration_ready(self, outcome: IntegrationOutcome) -> None:
        """From here on every grant goes to the history, tagged with this integration."""
        self._integration = outcome
        assert self.target is not None
        self.recorder = core.history_recorder(
            self.history, self.target, outcome.integration.id, self._profile_name
        )

    @property
    def region(self) -> str:
        return self.target.region.value if self.target else ""

    @property
    def api_url(self) -> str:
        return self.target.base_url if self.target else ""

    @property
    def api(self) -> str:
        return self.target.api.value if self.target else ""

    @property
    def in_sandbox(self) -> bool:
        return self.target is not None and self.target.practice

    async def start_sandbox(self) -> SandboxServer:
        if self.sandbox is None:
            await self.loaded()
            # Practice grants, some invalid: the Grants window has a worklist to practise on.
            sandbox = core.SandboxServer(core.PRACTICE_OPTIONS)
            await sandbox.start()
            self.sandbox = sandbox
            log.info("in-process sandbox at %s", sandbox.url)
        return self.sandbox

    async def open_connection(self, target: Target, client_id: str, secret: str) -> None:
        """Replace the flow with one for this target and these credentials and check them
        (raises on failure). `client_id`: Connect's client id, or v3's application id (may be
        empty: it is looked up from the API key; read it back with `application_id`).

        Everything that needs the core happens on a worker thread, so a first click made while
        the core is still loading never waits on an import lock in the Qt thread."""
        remember_secret(secret)  # typed by the operator: never in a log or a report
        await self.close_flow()
        await self.loaded()  # the first request must import nothing on the Qt thread
        # Built in a worker thread: the first httpx client imports httpcore (and trio, anyio
        # when installed), which blocked the Qt loop for 100-300 ms (bench/run.py, row 4).
        flow = await on_loader(
            _new_flow,
            target,
            client_id,
            secret,
            self.opener,
            on_event=self._forward,
            browser_grace=self.browser_grace,
        )
        try:
            await flow.check_connection()
        except BaseException:
            await flow.aclose()
            raise
        self.flow, self.target = flow, target
        self._integration = None
        self.sandboxChanged.emit(self.in_sandbox)
        # Sign-ins left waiting by an earlier run (a closed window, a crash): look for their
        # grants now that there are credentials to ask with; close the sent links that expired.
        self.spawn(self.late.check_quietly())
        self.remote.connection_checked()

    async def application_id(self) -> str | None:
        """v3: the application id the API key belongs to (None for Connect)."""
        backend = getattr(self.flow, "backend", None)
        lookup = getattr(backend, "application_id", None)
        return await lookup() if lookup is not None else None

    async def delete_grant(self, grant_id: str) -> str:
        """Revoke a grant on Nylas and mark every record of it deleted (Done and the History
        window alike); returns what the history now says of it."""
        if self.flow is None:
            raise ValueError(
                "Check the connection on the first page first: grants are deleted on Nylas "
                "with those credentials."
            )
        words = await self.flow.delete_grant(grant_id, recorder=self.recorder)
        if words is None:  # before any integration there is no recorder yet
            words = await asyncio.to_thread(self.history.mark_deleted, grant_id)
        self.grant_deleted(grant_id)
        return words

    def grant_deleted(self, grant_id: str) -> None:
        """The operator revoked a grant (the wrong Zoom user consented)."""
        if grant_id in self._grants:
            self._grants.remove(grant_id)
            self.changed.emit()
        log.warning("grant %s deleted on Nylas by the operator", grant_id)

    # -- the work queue --------------------------------------------------------------------

    @property
    def practice(self) -> bool:
        """Which queue this window works on: the sandbox's practice one, or the real one (before
        the first connection check, the in-process sandbox running means practice)."""
        return self.in_sandbox if self.target is not None else self.sandbox is not None

    async def loaded(self) -> None:
        """The core is imported (on the loader thread): after this, touching the stores or the
        flow's modules imports nothing on the Qt thread."""
        await on_loader(core.preload)

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._late_tasks.add(task)
        task.add_done_callback(self._late_tasks.discard)

    def _forward(self, event: FlowEvent) -> None:
        if isinstance(event, core.LateAnswer):
            self._late_answer(event)
        self.flowEvent.emit(event)

    def _late_answer(self, event: LateAnswer) -> None:
        """An earlier link came back (its grant is already in the history): its queue entry
        is decided by it, and the page the operator is on says so."""
        if event.result is not None:
            self.add_grant(event.result.grant_id)
        self.work.finish_late(event)
        self.lateAnswer.emit(event)

    def open_links(self) -> list[OpenLink]:
        """Earlier links this window still listens for (for the question before closing)."""
        return self.flow.open_links() if self.flow is not None else []

    async def close_flow(self) -> None:
        if self.flow is not None:
            flow, self.flow = self.flow, None
            await flow.aclose()

    async def aclose(self) -> None:
        for task in list(self._late_tasks):
            task.cancel()
        await asyncio.gather(*self._late_tasks, return_exceptions=True)
        await self.close_flow()
        if self.sandbox is not None:
            sandbox, self.sandbox = self.sandbox, None
            await sandbox.close()


def _new_flow(
    target: Target, client_id: str, secret: str, *args: Any, **kwargs: Any
) -> OnboardingFlow:
    return core.open_flow(
        target, core.NylasCredentials(core.SecretStr(secret), client_id), *args, **kwargs
    )


def _new_secret_store() -> core.SecretStore:
    # One job ahead of the preload's (loader.first_on_loader): the keyring's modules, then its
    # backend discovery (which imports the backends and may block on D-Bus).
    core.preload_profiles()
    core.preload_keyring()
    return core.SecretStore()
