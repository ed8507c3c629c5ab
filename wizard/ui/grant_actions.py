"""What the Grants window asks of the session's checked connection: the worklist of the
application's Zoom grants, and re-authentications added to this window's queue. Kept beside the
session rather than in it (the session holds the onboarding's own state)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from wizard.ui import core

if TYPE_CHECKING:
    from wizard.flow.grants import GrantWorklist, Reauthentication
    from wizard.store.grant_listing import ListedGrant
    from wizard.ui.session import WizardSession

NEEDS_CONNECTION = (
    "Check the connection on the first page first: the grants are read from Nylas with those "
    "credentials."
)


def worklist(session: WizardSession, status: str | None = None) -> GrantWorklist:
    """The application's Zoom grants on Nylas, invalid first (or only `status`), joined with
    this computer's history; ValueError without a checked connection (the core is loaded
    then)."""
    if session.flow is None or session.target is None:
        raise ValueError(NEEDS_CONNECTION)
    return core.GrantWorklist(
        session.flow.backend, session.history, practice=session.target.practice, status=status
    )


async def reauthenticate(
    session: WizardSession, grants: Sequence[ListedGrant] | None = None
) -> Reauthentication:
    """Queue entries to re-authenticate `grants` (None: every invalid one, read afresh)."""
    if grants is None:
        grants = [grant async for grant in worklist(session, "invalid")]
    if session.target is None:
        raise ValueError(NEEDS_CONNECTION)
    done = await asyncio.to_thread(
        core.queue_reauthentication,
        session.queue,
        grants,
        api=session.target.api,
        practice=session.practice,
    )
    session.work.changed.emit()
    return done
