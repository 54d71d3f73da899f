"""The entry point's guards: signals lost in finalizers, terminals that cannot show a character."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

LOST_IN_A_FINALIZER = """
import os, signal, sys, time
from hookrunner.engine.signals import _reraise_lost_signal, _terminate
if sys.argv[1] == "hook":
    sys.unraisablehook = _reraise_lost_signal
signal.signal(signal.SIGTERM, _terminate)

class Finalized:
    def __del__(self):
        # The handler raises here, inside __del__, where Python drops it.
        os.kill(os.getpid(), getattr(signal, sys.argv[2]))
        time.sleep(0.5)

item = Finalized()
del item
try:
    time.sleep(3)
    print("lost")
except KeyboardInterrupt:
    print("delivered")
"""


@pytest.mark.parametrize(("signame", "code"), [("SIGINT", 0), ("SIGTERM", 143)])
def test_a_signal_dropped_in_a_finalizer_is_delivered_again(signame: str, code: int) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", LOST_IN_A_FINALIZER, "hook", signame],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == code, proc.stderr
    assert "lost" not in proc.stdout
    if signame == "SIGINT":
        assert proc.stdout.strip() == "delivered"


def test_without_the_hook_python_drops_it() -> None:
    """The failure the hook exists for: without it, the Ctrl-C is gone."""
    proc = subprocess.run(
        [sys.executable, "-c", LOST_IN_A_FINALIZER, "plain", "SIGINT"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.stdout.strip() == "lost"
    assert "Exception ignored" in proc.stderr


def test_other_unraisable_errors_are_reported_as_usual() -> None:
    code = (
        "import sys\n"
        "from hookrunner.engine.signals import _reraise_lost_signal\n"
        "sys.unraisablehook = _reraise_lost_signal\n"
        "class Broken:\n"
        "    def __del__(self):\n"
        "        raise ValueError('from a finalizer')\n"
        "b = Broken()\n"
        "del b\n"
        "print('went on')\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0
    assert proc.stdout.strip() == "went on"
    assert "ValueError: from a finalizer" in proc.stderr


INTERRUPTED_IN_EVAL = """
import os, signal, sys
if sys.argv[1] == "ours":
    from hookrunner.engine.signals import _interrupt
    signal.signal(signal.SIGINT, _interrupt)
try:
    # As while a namedtuple or dataclass is built: code run from a string.
    exec("import os, signal\\nos.kill(os.getpid(), signal.SIGINT)\\nfor i in range(10**6): pass")
except KeyboardInterrupt:
    sys.exit(130)
"""


@pytest.mark.parametrize(("handler", "code"), [("ours", 130), ("python", -2)])
def test_ctrl_c_inside_code_run_from_a_string_keeps_the_exit_code(
    tmp_path: Path, handler: str, code: int
) -> None:
    (tmp_path / "interrupted_in_eval.py").write_text(INTERRUPTED_IN_EVAL)
    proc = subprocess.run(
        [sys.executable, "-m", "interrupted_in_eval", handler],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
    )
    # With Python's own handler, `python -m` ends as killed by SIGINT even
    # though the script caught the interrupt and asked for 130.
    assert proc.returncode == code, proc.stderr
