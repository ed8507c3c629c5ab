"""`python -m wizard.sandbox [--port N]`: run the sandbox until Ctrl+C, for training by hand."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from wizard.sandbox.server import SandboxServer


async def _serve(port: int) -> None:
    async with SandboxServer(port) as sandbox:
        creds = sandbox.credentials
        print(f"Nylas Connect sandbox at {sandbox.url}  (open it in a browser for details)")
        print(f"  Nylas client ID / secret: {creds.nylas_client_id} / {creds.nylas_client_secret}")
        print(f"  Zoom client ID / secret:  {creds.zoom_client_id} / {creds.zoom_client_secret}")
        print("Press Ctrl+C to stop.")
        await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m wizard.sandbox", description=__doc__)
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any free)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.port))


if __name__ == "__main__":
    main()
