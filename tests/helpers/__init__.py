"""The tests' one home for helpers (no tests here). `fixtures` is the pytest plugin that
tests/conftest.py registers; the rest are plain functions and stand-ins a test calls with
arguments, and bench/ imports them too (never a test module).

- `fixtures`: anyio_backend, memory_keyring, no_keyring, paths, clock, sandbox, api, qt_loop, loop
- `ports`: free loopback ports, loopback redirect URIs
- `flows`: flows on the sandbox opened as the product opens them, a recorder, a customer
- `cli`: the command line as a subprocess with a home of its own (onboard_args, run_onboard)
- `sandbox`: a client of the sandbox's Connect API
- `wizard`: the window driven as an operator drives it (make, sandbox_checked, ...)
- `listener`: raw sockets against the loopback listener
- `fuzz`: strategies, oracles and properties of the fuzz tests and bench/fuzz.py
- `clock`: the sandbox's clock, moved by hand
- `store`: a keyring in memory, a crashed owner
- `browser`: Debian's Chromium for the real-browser tests
- `ci`: what CI must have that a person's machine may skip
"""
