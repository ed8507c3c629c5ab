"""`zoom-onboard sandbox`: the offline imitation of Nylas and Zoom, until Ctrl+C."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import TYPE_CHECKING

from wizard.interrupts import on_interrupt
from wizard.logs import setup_logging
from wizard.outcome import Outcome
from wizard.store.paths import AppPaths

if TYPE_CHECKING:
    from wizard.sandbox import V3Options


def run_sandbox(args: argparse.Namespace) -> int:
    setup_logging(AppPaths.default().log_file, verbose=args.verbose)
    grants, invalid = getattr(args, "grants", 0), getattr(args, "invalid", 0)
    if invalid > grants:
        print(
            f"Error: --invalid {invalid} is more than --grants {grants}: give --grants N "
            "(all the practice grants) and --invalid M (how many of them are invalid), M <= N.",
            file=sys.stderr,
        )
        return int(Outcome.BAD_INPUT)
    try:
        return asyncio.run(_serve(args.port, args.json, _v3_options(args), (grants, invalid)))
    except OSError as exc:
        message = f"The sandbox could not listen on 127.0.0.1:{args.port} ({exc.strerror})."
        hint = "Choose another port with --port, or 0 for any free port."
        code = Outcome.BAD_INPUT
        if args.json:  # like every other command's --json: a failure is an error event
            event = {
                "event": "error",
                "type": "port_in_use",
                "message": f"{message} {hint}",
                "exit_code": int(code),
            }
            print(json.dumps(event), flush=True)
        else:
            print(f"Error: {message} {hint}", file=sys.stderr)
        return int(code)


def _v3_options(args: argparse.Namespace) -> V3Options:
    from wizard.sandbox import V3Options

    # getattr: callers that build the namespace by hand may leave the flags out.
    return V3Options(
        renewal_state=getattr(args, "v3_renewal_state", "initial"),
        grant_status_field=not getattr(args, "v3_no_grant_status", False),
        scope_null=getattr(args, "v3_null_scope", False),
        reauth_email_check=getattr(args, "v3_reauth_email_check", False),
    )


async def _serve(
    port: int, as_json: bool, v3_options: V3Options, seed: tuple[int, int] = (0, 0)
) -> int:
    stop = asyncio.Event()
    # Ctrl+C ends it cleanly (exit 0, the sandbox closed), Windows included.
    interrupts = on_interrupt(asyncio.get_running_loop(), stop.set)
    try:
        return await _serve_until(stop, port, as_json, v3_options, seed)
    finally:
        interrupts.restore()


async def _serve_until(
    stop: asyncio.Event, port: int, as_json: bool, v3_options: V3Options, seed: tuple[int, int]
) -> int:
    from dataclasses import asdict

    from wizard.sandbox import SandboxOptions, SandboxServer, V3Options

    options = SandboxOptions(
        port=port, v3_options=v3_options, seed_grants=seed[0], seed_invalid=seed[1]
    )
    async with SandboxServer(options) as sandbox:
        demo = sandbox.credentials
        if as_json:
            print(
                json.dumps(
                    {
                        "url": sandbox.url,
                        "landing_url": sandbox.landing_url,
                        "nylas_client_id": demo.nylas_client_id,
                        "nylas_client_secret": demo.nylas_client_secret,
                        "zoom_client_id": demo.zoom_client_id,
                        "zoom_client_secret": demo.zoom_client_secret,
                        "v3_api_key": demo.v3_api_key,
                        "v3_application_id": demo.v3_application_id,
                    }
                ),
                flush=True,
            )
        else:
            changed = {k: v for k, v in asdict(v3_options).items() if getattr(V3Options(), k) != v}
            print(
                f"Offline sandbox (imitates Nylas API v3, the Connect API and Zoom) at "
                f"{sandbox.url}\n"
                "Demo credentials (they work only here):\n"
                f"  v3:      NYLAS_API_KEY={demo.v3_api_key}\n"
                f"           (application id {demo.v3_application_id})\n"
                f"  Connect: NYLAS_CLIENT_ID={demo.nylas_client_id}\n"
                f"           NYLAS_CLIENT_SECRET={demo.nylas_client_secret}\n"
                f"  Zoom:    ZOOM_CLIENT_ID={demo.zoom_client_id}\n"
                f"           ZOOM_CLIENT_SECRET={demo.zoom_client_secret}\n"
                + "Landing page (stands for your company's site, for consent by link):\n"
                f"  {sandbox.landing_url}\n"
                + (f"v3 answers where Nylas is silent: {changed}\n" if changed else "")
                + (
                    f"Practice grants: {seed[0]} Zoom users, {seed[1]} of them invalid "
                    f"(zoom-onboard grants --api-url {sandbox.url})\n"
                    if seed[0]
                    else ""
                )
                + f"Use it with: zoom-onboard onboard --api-url {sandbox.url} --customer NAME\n"
                "Stop with Ctrl+C.",
                flush=True,
            )
        await stop.wait()
    return int(Outcome.OK)
