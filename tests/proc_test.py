from __future__ import annotations

import asyncio
import os
import shlex
import signal
import sys
import time
from pathlib import Path

import pytest

from hookrunner.engine import process as proc
from hookrunner.engine.process import BoundedOutput, run_process

PY = sys.executable

# A Python child that ignores SIGTERM and records its pid: only SIGKILL stops it.
STUBBORN = (
    "import os, signal, sys, time\n"
    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    "with open(sys.argv[1], 'w') as f: f.write(str(os.getpid()))\n"
    "time.sleep(1000)\n"
)


def ignoring_sigterm(pidfile: Path) -> list[str]:
    """A Python child that ignores SIGTERM from its first instant, its pid
    written before Python starts: the shell's trap survives the exec, so a
    short timeout cannot catch it still starting up."""
    code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(1000)"
    script = 'trap "" TERM; echo $$ > "$1"; exec "$0" -c "$2"'
    return ["sh", "-c", script, PY, str(pidfile), code]


def is_gone(pid: int) -> bool:
    """True once ``pid`` has exited; a zombie waiting for a reaper that is not
    ours (init in a container) counts as exited."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def wait_gone(pid: int, within: float = 2.0) -> bool:
    """Whether ``pid`` is gone, allowing the kernel a moment to finish a kill
    that was already sent (a SIGKILLed process exits asynchronously)."""
    deadline = time.monotonic() + within
    while not is_gone(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def read_pid(path: Path) -> int:
    return int(path.read_text())


async def wait_for_file(path: Path) -> None:
    while not (path.exists() and path.read_text()):
        await asyncio.sleep(0.01)


@pytest.fixture(params=["pidfd", "poll"])
def exit_watch(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with exit watched through a pidfd, and through the portable
    polling path that systems without ``os.pidfd_open`` take."""
    if request.param == "poll":
        monkeypatch.delattr(os, "pidfd_open", raising=False)
    elif not hasattr(os, "pidfd_open"):  # pragma: no cover - not Linux
        pytest.skip("no pidfd on this system")
    return str(request.param)


# -- output ------------------------------------------------------------------


def test_success_output_and_fields() -> None:
    result = asyncio.run(run_process(["sh", "-c", "echo hello; echo world"]))
    assert result.argv == ("sh", "-c", "echo hello; echo world")
    assert (result.exit_code, result.output, result.error) == (0, "hello\nworld\n", "")
    assert result.ok
    assert not result.timed_out
    assert result.dropped == 0
    assert result.duration > 0


def test_failure_exit_code_and_error() -> None:
    result = asyncio.run(run_process(["sh", "-c", "echo oops; exit 3"]))
    assert (result.exit_code, result.output, result.error) == (3, "oops\n", "exit code 3")
    assert not result.ok


def test_stdout_and_stderr_are_merged_in_order(exit_watch: str) -> None:
    script = (
        "import sys\n"
        "for i in range(50):\n"
        "    sys.stdout.write(f'out{i}\\n'); sys.stdout.flush()\n"
        "    sys.stderr.write(f'err{i}\\n'); sys.stderr.flush()\n"
    )
    result = asyncio.run(run_process([PY, "-c", script]))
    assert result.output == "".join(f"out{i}\nerr{i}\n" for i in range(50))


def test_env_and_cwd_are_passed(tmp_path: Path) -> None:
    env = {**os.environ, "HOOKRUNNER_TEST_VALUE": "42"}
    result = asyncio.run(
        run_process(["sh", "-c", 'echo "$HOOKRUNNER_TEST_VALUE $PWD"'], cwd=tmp_path, env=env)
    )
    assert result.output == f"42 {tmp_path}\n"


def test_stdin_is_dev_null() -> None:
    # cat would wait forever on an inherited terminal or pipe.
    result = asyncio.run(run_process(["cat"], timeout=30))
    assert (result.exit_code, result.output, result.timed_out) == (0, "", False)
    check = "import os; print(os.path.samestat(os.fstat(0), os.stat(os.devnull)))"
    assert asyncio.run(run_process([PY, "-c", check])).output == "True\n"


def test_output_is_bounded_to_head_and_tail() -> None:
    middle = 5 * 1024 * 1024
    script = (
        "import sys\n"
        "w = sys.stdout.buffer.write\n"
        "w(b'HEAD-MARK\\n')\n"
        f"for _ in range({middle // 1024}): w(b'x' * 1023 + b'\\n')\n"
        "w(b'TAIL-MARK\\n')\n"
    )
    total = len("HEAD-MARK\n") + middle + len("TAIL-MARK\n")
    dropped = total - proc.HEAD_LIMIT - proc.TAIL_LIMIT
    result = asyncio.run(run_process([PY, "-c", script]))
    assert result.exit_code == 0
    assert result.dropped == dropped
    note = f"\n[... {dropped} bytes of output dropped ...]\n"
    assert result.output.startswith("HEAD-MARK\nxxx")
    assert result.output.endswith("xxx\nTAIL-MARK\n")
    assert result.output.count(note) == 1
    assert len(result.output) == proc.HEAD_LIMIT + len(note) + proc.TAIL_LIMIT


def test_bounded_output_keeps_exact_head_and_tail() -> None:
    out = BoundedOutput(head=4, tail=5)
    for chunk in (b"ab", b"cdef", b"ghi", b"jklmnop", b"q"):
        out.add(chunk)
    assert out.dropped == len("abcdefghijklmnopq") - 4 - 5
    assert out.text() == "abcd\n[... 8 bytes of output dropped ...]\nmnopq"


def test_bounded_output_under_the_limit_is_whole() -> None:
    out = BoundedOutput(head=4, tail=5)
    out.add(b"abc")
    out.add(b"")
    out.add(b"defgh")
    assert (out.text(), out.dropped) == ("abcdefgh", 0)


def test_invalid_utf8_is_replaced() -> None:
    script = "import sys; sys.stdout.buffer.write(b'ok \\xff\\xfe end\\n')"
    result = asyncio.run(run_process([PY, "-c", script]))
    assert result.output == "ok \ufffd\ufffd end\n"


# -- commands that cannot start -------------------------------------------------


def test_missing_command_is_a_result() -> None:
    result = asyncio.run(run_process(["hookrunner-no-such-command", "x"]))
    assert result.exit_code is None
    assert result.error == result.output == "command not found: hookrunner-no-such-command"
    assert not result.ok


def test_missing_cwd_is_a_result(tmp_path: Path) -> None:
    missing = tmp_path / "gone"
    result = asyncio.run(run_process(["true"], cwd=missing))
    assert result.exit_code is None
    assert result.error == f"working directory not found: {missing}"


def test_non_executable_file_is_a_result(tmp_path: Path) -> None:
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    result = asyncio.run(run_process([str(script)]))
    assert result.exit_code is None
    assert result.error == f"permission denied: {script}"


def test_unrunnable_file_is_a_result(tmp_path: Path) -> None:
    binary = tmp_path / "garbage"
    binary.write_bytes(b"\x7fELF\x00garbage that is not a program")
    binary.chmod(0o755)
    result = asyncio.run(run_process([str(binary)]))
    assert result.exit_code is None
    assert result.error == f"cannot run {binary}: Exec format error"


# -- stopping ------------------------------------------------------------------


def test_timeout_kills_a_child_that_ignores_sigterm(
    exit_watch: str, tmp_path: Path, cleanup_pids: list[int]
) -> None:
    pidfile = tmp_path / "pid"
    result = asyncio.run(run_process(ignoring_sigterm(pidfile), timeout=0.5, grace=0.2))
    pid = read_pid(pidfile)
    cleanup_pids.append(pid)
    assert result.timed_out
    assert result.exit_code == -signal.SIGKILL
    assert result.error == "timed out after 0.5s"
    assert not result.ok
    assert is_gone(pid)


def test_timeout_kills_a_grandchild_that_ignores_sigterm(
    exit_watch: str, tmp_path: Path, cleanup_pids: list[int]
) -> None:
    # The shell dies of SIGTERM at once; the grandchild is left in its group
    # and only the SIGKILL of the whole group reaches it.
    pidfile = tmp_path / "pid"
    cmd = f"{shlex.join(ignoring_sigterm(pidfile))} & wait"
    result = asyncio.run(run_process(["sh", "-c", cmd], timeout=0.5, grace=0.2))
    pid = read_pid(pidfile)
    cleanup_pids.append(pid)
    assert result.timed_out
    assert result.exit_code == -signal.SIGTERM
    assert wait_gone(pid)


def test_timeout_keeps_the_output_so_far(exit_watch: str) -> None:
    # A large grace: a child that obeys SIGTERM is not waited on for it.
    cmd = "echo before; exec sleep 1000"
    result = asyncio.run(run_process(["sh", "-c", cmd], timeout=0.2, grace=300))
    assert result.timed_out
    assert result.exit_code == -signal.SIGTERM
    assert result.output == "before\n"


def test_exited_child_with_background_grandchild_holding_the_pipe(
    exit_watch: str, tmp_path: Path, cleanup_pids: list[int]
) -> None:
    pidfile = tmp_path / "pid"
    cmd = f"sleep 1000 & echo $! > {pidfile}; echo parent done"
    result = asyncio.run(run_process(["sh", "-c", cmd], timeout=30))
    pid = read_pid(pidfile)
    cleanup_pids.append(pid)
    assert (result.exit_code, result.output, result.timed_out) == (0, "parent done\n", False)
    assert wait_gone(pid)


def test_cancellation_stops_and_reaps_the_child(
    exit_watch: str, tmp_path: Path, cleanup_pids: list[int]
) -> None:
    pidfile = tmp_path / "pid"

    async def main() -> int:
        job = asyncio.ensure_future(run_process([PY, "-c", STUBBORN, str(pidfile)], grace=0.1))
        await wait_for_file(pidfile)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        return read_pid(pidfile)

    pid = asyncio.run(main())
    cleanup_pids.append(pid)
    # Reaped before the cancellation was re-raised: not even a zombie is left.
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_cancelling_again_does_not_abandon_the_child(
    tmp_path: Path, cleanup_pids: list[int]
) -> None:
    pidfile = tmp_path / "pid"
    events: list[str] = []

    async def main() -> int:
        job = asyncio.ensure_future(run_process([PY, "-c", STUBBORN, str(pidfile)], grace=0.3))
        await wait_for_file(pidfile)
        job.cancel()
        await asyncio.sleep(0.05)
        events.append("second cancel")
        job.cancel()
        await asyncio.sleep(0)
        events.append("still stopping" if not job.done() else "abandoned")
        with pytest.raises(asyncio.CancelledError):
            await job
        return read_pid(pidfile)

    pid = asyncio.run(main())
    cleanup_pids.append(pid)
    assert events == ["second cancel", "still stopping"]
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_daemon_that_left_the_group_does_not_hold_us(
    tmp_path: Path, cleanup_pids: list[int]
) -> None:
    # A daemon in its own session is out of reach of the group kill; we stop
    # reading its output after a drain period instead of waiting for it.
    pidfile = tmp_path / "pid"
    script = (
        "import subprocess, sys\n"
        "p = subprocess.Popen(['sleep', '1000'], start_new_session=True)\n"
        "open(sys.argv[1], 'w').write(str(p.pid))\n"
        "print('started', flush=True)\n"
    )
    result = asyncio.run(run_process([PY, "-c", script, str(pidfile)], timeout=30))
    pid = read_pid(pidfile)
    cleanup_pids.append(pid)
    assert (result.exit_code, result.output) == (0, "started\n")
    assert not is_gone(pid)


def test_cancelled_while_draining_a_daemons_pipe(tmp_path: Path, cleanup_pids: list[int]) -> None:
    pidfile = tmp_path / "pid"
    script = (
        "import subprocess, sys\n"
        "p = subprocess.Popen(['sleep', '1000'], start_new_session=True)\n"
        "open(sys.argv[1], 'w').write(str(p.pid))\n"
    )

    async def main() -> None:
        job = asyncio.ensure_future(run_process([PY, "-c", script, str(pidfile)]))
        await wait_for_file(pidfile)
        cleanup_pids.append(read_pid(pidfile))
        await asyncio.sleep(0.2)
        assert not job.done()
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job

    asyncio.run(main())


def test_child_reaped_by_someone_else_does_not_hang_the_poller(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A host program's own SIGCHLD handling may reap our child first.
    monkeypatch.delattr(os, "pidfd_open", raising=False)
    pidfile = tmp_path / "pid"

    async def main() -> proc.ProcessResult:
        job = asyncio.ensure_future(
            run_process(["sh", "-c", f"echo $$ > {pidfile}; exec sleep 0.2"], timeout=30)
        )
        await wait_for_file(pidfile)
        # Blocking the loop here keeps the poller from seeing the exit first.
        pid, _ = os.waitpid(read_pid(pidfile), 0)
        assert pid == read_pid(pidfile)
        return await job

    result = asyncio.run(main())
    assert not result.timed_out
