"""A finished run leaves without the interpreter's teardown, and loses nothing
by it: every line written, every ``atexit`` handler run, the same exit code,
a thread still working waited for."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import write_config

# The command as its console script runs it (the program Python was started
# with), with something registered to run at exit (as coverage registers its
# data's saving).
ENTRY = """
import atexit, sys, threading, time
atexit.register(lambda: print("atexit ran", file=sys.stderr))
if sys.argv[1] == "thread":
    def later():
        time.sleep(0.5)
        print("thread done", flush=True)
    threading.Thread(target=later).start()
sys.argv[1:] = sys.argv[2:]
from hookrunner.cli.main import main
main()
"""


def _entry(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = repo.parent / "entry.py"
    script.write_text(ENTRY)
    return subprocess.run(
        [sys.executable, str(script), *args],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(("cmd", "code"), [("true", 0), ("false", 1)])
def test_output_atexit_and_code_survive_the_quick_exit(repo: Path, cmd: str, code: int) -> None:
    # Much output, shown: the last of it is still in the buffer when the run ends.
    write_config(
        repo,
        f"""
[tasks.loud]
cmd = ["sh", "-c", "seq 1 20000; {cmd}"]
pass_filenames = false
always_run = true
cache = false
""",
    )
    proc = _entry(repo, "-", "run", "--all-files", "--verbose")
    assert proc.returncode == code, proc.stderr
    assert "\n20000\n" in proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1].startswith("1 passed" if code == 0 else "1 failed")
    assert proc.stderr.splitlines()[-1] == "atexit ran"


def test_a_usage_error_keeps_its_code_and_message(repo: Path) -> None:
    proc = _entry(repo, "-", "run", "--no-such-option")
    assert proc.returncode == 2
    assert "No such option" in proc.stderr
    assert proc.stderr.splitlines()[-1] == "atexit ran"


def test_a_run_inside_another_program_hands_it_the_exit(repo: Path) -> None:
    # As runpy runs ``python -m hookrunner`` in-process: the program goes on.
    script = (
        "import runpy, sys\n"
        "sys.argv = ['hookrunner', 'run', '--all-files']\n"
        "try:\n    runpy.run_module('hookrunner', run_name='__main__')\n"
        "except SystemExit as exc:\n    print('went on', exc.code)\n"
    )
    write_config(repo, '[tasks.ok]\ncmd = "true"\npass_filenames = false\nalways_run = true\n')
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=repo, capture_output=True, text=True, check=False
    )
    assert proc.stdout.splitlines()[-1] == "went on 0", proc.stderr


def test_a_thread_still_working_is_waited_for(repo: Path) -> None:
    write_config(repo, '[tasks.ok]\ncmd = "true"\npass_filenames = false\nalways_run = true\n')
    proc = _entry(repo, "thread", "run", "--all-files")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "thread done"


GC_AFTER = """
import gc, sys
if sys.argv[1] == "off":
    gc.disable()
from hookrunner.cli.main import main
try:
    main(["run", "--all-files"])
except SystemExit as exc:
    print(exc.code, gc.isenabled(), gc.get_freeze_count() > 0)
"""


@pytest.mark.parametrize(("before", "after"), [("on", "True"), ("off", "False")])
def test_the_collector_is_held_off_while_importing_only(
    repo: Path, before: str, after: str
) -> None:
    write_config(repo, '[tasks.ok]\ncmd = "true"\npass_filenames = false\nalways_run = true\n')
    proc = subprocess.run(
        [sys.executable, "-c", GC_AFTER, before],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # The run's imports were set aside before its tasks ran with the collector on.
    assert proc.stdout.split()[-3:] == ["0", after, "True"], proc.stderr


def test_a_closed_output_pipe_stops_the_run_without_a_traceback(repo: Path, tmp_path: Path) -> None:
    marker = tmp_path / "reader-gone"
    write_config(
        repo,
        f"""
[tasks.first]
cmd = "true"
pass_filenames = false
always_run = true
[tasks.second]
cmd = ["sh", "-c", "while [ ! -e {marker} ]; do sleep 0.05; done"]
pass_filenames = false
always_run = true
priority = -1
""",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "hookrunner", "run", "--all-files", "-j", "1"],
        cwd=repo,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith(b"first")
    proc.stdout.close()  # like `| head -1`
    marker.touch()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 141
    assert b"Traceback" not in err
