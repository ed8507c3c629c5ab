"""BackgroundSandbox: the sandbox on its own thread, driven from synchronous code."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from wizard.sandbox import BackgroundSandbox, Fault, SandboxOptions


def nylas_client(sandbox: BackgroundSandbox) -> httpx.Client:
    creds = sandbox.credentials
    return httpx.Client(
        base_url=sandbox.url, auth=(creds.nylas_client_id, creds.nylas_client_secret)
    )


def sandbox_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "nylas-sandbox"]


def test_serves_from_sync_code_and_frees_its_port() -> None:
    with BackgroundSandbox() as sandbox:
        port = sandbox.port
        assert sandbox.url == f"http://127.0.0.1:{port}"
        assert len(sandbox_threads()) == 1
        with nylas_client(sandbox) as client:
            assert client.get("/connect/grants").status_code == 200
    assert sandbox_threads() == []
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/healthz")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", port))  # raises if the port were still held


def test_start_and_stop_without_with() -> None:
    sandbox = BackgroundSandbox()
    sandbox.start()
    try:
        assert httpx.get(f"{sandbox.url}/healthz").status_code == 200
        with pytest.raises(RuntimeError, match="already running"):
            sandbox.start()
    finally:
        sandbox.stop()
    sandbox.stop()  # twice is harmless
    assert sandbox_threads() == []


def test_fixed_port_and_busy_port() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = holder.getsockname()[1]
        with pytest.raises(OSError, match=r"(?i)address already in use"):
            BackgroundSandbox(SandboxOptions(port=busy)).start()
        assert sandbox_threads() == []  # a failed start leaves no thread behind
    with BackgroundSandbox(SandboxOptions(port=busy)) as sandbox:
        assert sandbox.url == f"http://127.0.0.1:{busy}"


def test_records_faults_and_seeding_across_threads() -> None:
    with (
        BackgroundSandbox(SandboxOptions(zoom_user_email="trainee@example.com")) as sandbox,
        nylas_client(sandbox) as client,
    ):
        sandbox.call(lambda s: s.add_integration(redirect_uris=["http://127.0.0.1:1/cb"]))
        grant = sandbox.call(lambda s: s.add_grant())
        assert grant["email"] == "trainee@example.com"
        sandbox.faults.add(Fault(method="GET", status=500))
        assert client.get("/connect/integrations").status_code == 500
        listed = client.get("/connect/integrations").json()["data"]
        assert [i["redirect_uris"] for i in listed] == [["http://127.0.0.1:1/cb"]]
        body = {"provider": "zoom", "redirect_uri": "http://127.0.0.1:1/cb"}
        login_id = client.post("/connect/auth", json=body).json()["data"]["id"]

        assert list(sandbox.call(lambda s: s.grants)) == [grant["id"]]
        assert list(sandbox.call(lambda s: s.auth_requests)) == [login_id]
        integrations = sandbox.call(lambda s: s.integrations)
        assert integrations["zoom"]["redirect_uris"] == ["http://127.0.0.1:1/cb"]
        assert sandbox.call(lambda s: list(s.requests_seen)) == [
            ("GET", "/connect/integrations"),
            ("GET", "/connect/integrations"),
            ("POST", "/connect/auth"),
        ]
    assert list(sandbox.call(lambda s: s.grants)) == [grant["id"]]  # still readable after stop
    assert list(sandbox.server.grants) == [grant["id"]]
