"""Talking to the in-process sandbox as an application does."""

from __future__ import annotations

import httpx

from wizard.sandbox import SandboxServer

# Paging both APIs refuse (a limit of 1 to 200, an offset from 0), as (parameter, value).
BAD_PAGING = [("limit", "0"), ("limit", "201"), ("limit", "ten"), ("offset", "-1")]


def connect_api(sandbox: SandboxServer) -> httpx.AsyncClient:
    """A client of the sandbox's Connect API, signed in with its client id and secret."""
    creds = sandbox.credentials
    auth = (creds.nylas_client_id, creds.nylas_client_secret)
    return httpx.AsyncClient(base_url=sandbox.url, auth=auth)
