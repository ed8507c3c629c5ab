"""`zoom-onboard --self-test`: its result, its exit code and what it loads; the process ends
without the interpreter's teardown (wizard/cli/self_test.py, end_process) and loses nothing."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.helpers.cli import cli_env, python

# The self-test as the program runs it (main() reads sys.argv, so it may end the process),
# with an exit handler (logging's flush is one), and the first run made to fail or not.
PROGRAM = """
import atexit, sys
atexit.register(lambda path: open(path, "w").write("exit handlers ran"), sys.argv[1])
import wizard.cli.self_test as st
if sys.argv[2] == "fail":
    real = st.self_test
    async def first_fails(api):
        if api is st.Api.V3:
            raise ValueError("The Nylas secret (client secret or API key) is empty.")
        return await real(api)
    st.self_test = first_fails
sys.argv[1:] = sys.argv[3:]
from wizard.cli.main import main
sys.exit(main())
"""


def _run(tmp_path: Path, how: str, *args: str) -> subprocess.CompletedProcess[str]:
    log = tmp_path / "exit-handlers"
    done = python("-c", PROGRAM, str(log), how, "--self-test", *args, env=cli_env(tmp_path))
    assert log.read_text(encoding="utf-8") == "exit handlers ran"
    return done


def test_a_passing_self_test_says_so_and_exits_0(tmp_path: Path) -> None:
    done = _run(tmp_path, "pass")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "self-test OK (Nylas API v3)",
        "self-test OK (Connect API (private preview))",
    ]
    assert done.stderr == ""


def test_a_failing_self_test_says_which_and_exits_1(tmp_path: Path) -> None:
    done = _run(tmp_path, "fail")
    assert done.returncode == 1, done.stderr
    first, second = done.stdout.splitlines()
    assert first.startswith("self-test FAILED (Nylas API v3): The Nylas secret")
    assert second.startswith("self-test OK (Connect API")


def test_the_json_answer_is_whole_on_a_pipe(tmp_path: Path) -> None:
    done = _run(tmp_path, "fail", "--json")
    assert done.returncode == 1, done.stderr
    answer = json.loads(done.stdout)
    assert answer["ok"] is False
    assert [r["ok"] for r in answer["results"]] == [False, True]


def test_the_self_test_loads_no_store_no_keyring_no_qt_and_no_trio(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from wizard.cli.main import main\n"
        "assert main(['--self-test']) == 0\n"  # a list: a caller, so main returns
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = python("-c", code, env=cli_env(tmp_path))
    assert done.returncode == 0, done.stderr
    loaded = set(done.stderr.split())
    assert {"keyring", "PySide6", "qasync", "trio", "wizard.flow.explain"} & loaded == set()
    assert {m for m in loaded if m.startswith("wizard.store")} == set()
