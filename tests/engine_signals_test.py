"""A run leaves the process's signal handling as it found it: overlapping
runs, nested runs and a host's own handlers, checked in a real child
interpreter that receives real signals."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.proc_test import read_pid, wait_for_file, wait_gone

PY = sys.executable

PRELUDE = """
import asyncio, os, signal, sys, time
from hookrunner import ParallelExecutor, ToolTask, run_subprocess_async, run_parallel_git_operations

async def quick():
    await asyncio.sleep(0.01)
    return {"status": "success"}

def long_child(name):
    script = "sleep 1000 & echo $! > " + sys.argv[1] + "; wait"
    return ToolTask(name=name, func=run_subprocess_async, kwargs={"cmd": ["sh", "-c", script]})
"""


def start(body: str, *args: str) -> subprocess.Popen[bytes]:
    script = PRELUDE + textwrap.dedent(body)
    return subprocess.Popen(
        [PY, "-c", script, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def finish(program: subprocess.Popen[bytes]) -> tuple[int, str]:
    try:
        output, _ = program.communicate(timeout=30)
    finally:
        program.kill()
        program.wait()
    return program.returncode, output.decode(errors="replace")


def test_ctrl_c_works_after_two_runs_under_one_gather(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    program = start(
        """
        async def main():
            await asyncio.gather(
                ParallelExecutor().execute_parallel([ToolTask("a", quick)]),
                ParallelExecutor().execute_parallel([ToolTask("b", quick)]),
            )
        asyncio.run(main())
        print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)
        open(sys.argv[1], "w").write("1")
        try:
            time.sleep(60)
        except KeyboardInterrupt:
            print("interrupted")
            sys.exit(130)
        """,
        str(ready),
    )
    asyncio.run(asyncio.wait_for(wait_for_file(ready), 30))
    program.send_signal(signal.SIGINT)
    code, output = finish(program)
    assert (code, output.split()) == (130, ["True", "interrupted"]), output


def test_ctrl_c_after_a_nested_run_stops_the_outer_run(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    program = start(
        """
        async def outer():
            # A nested run inside a task of the outer run, then a long child.
            nested = await run_parallel_git_operations(".")
            assert set(nested) == {"git_status", "git_diff"}
            task = long_child("inner")
            return await task.func(**task.kwargs)

        async def main():
            await ParallelExecutor().execute_parallel([ToolTask("outer", outer)])

        try:
            asyncio.run(main())
        except KeyboardInterrupt:
            print("interrupted")
            sys.exit(130)
        """,
        str(pidfile),
    )
    asyncio.run(asyncio.wait_for(wait_for_file(pidfile), 30))
    pid = read_pid(pidfile)
    program.send_signal(signal.SIGINT)
    code, output = finish(program)
    assert (code, output.strip()) == (130, "interrupted"), output
    assert wait_gone(pid)


def test_a_host_loop_signal_handler_survives_a_run(tmp_path: Path) -> None:
    program = start(
        """
        async def main():
            loop = asyncio.get_running_loop()
            got = asyncio.Event()
            loop.add_signal_handler(signal.SIGTERM, got.set)
            await ParallelExecutor().execute_parallel([ToolTask("a", quick)])
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.wait_for(got.wait(), 10)
            print("host handler ran")

        asyncio.run(main())
        """
    )
    code, output = finish(program)
    assert (code, output.strip()) == (0, "host handler ran"), output


def test_a_host_python_handler_survives_and_sigterm_still_stops_a_run(tmp_path: Path) -> None:
    pidfile = tmp_path / "grandchild.pid"
    program = start(
        """
        seen = []
        signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(signum))
        async def main():
            await ParallelExecutor().execute_parallel([ToolTask("a", quick)])
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.sleep(0.1)
            print("host handler ran", seen == [signal.SIGTERM])
            await ParallelExecutor().execute_parallel([long_child("long")])

        try:
            asyncio.run(main())
        except SystemExit as exc:
            print("stopped", exc.code)
            print("handler back", signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL)
        """,
        str(pidfile),
    )
    asyncio.run(asyncio.wait_for(wait_for_file(pidfile), 30))
    pid = read_pid(pidfile)
    program.send_signal(signal.SIGTERM)
    code, output = finish(program)
    assert code == 0, output
    assert output.splitlines() == ["host handler ran True", "stopped 143", "handler back True"]
    assert wait_gone(pid)


def test_ctrl_c_during_two_runs_under_one_gather_reaps_both(tmp_path: Path) -> None:
    first, second = tmp_path / "first.pid", tmp_path / "second.pid"
    program = start(
        """
        def child(name, pidfile):
            script = "sleep 1000 & echo $! > " + pidfile + "; wait"
            return ToolTask(name, run_subprocess_async, kwargs={"cmd": ["sh", "-c", script]})

        async def main():
            await asyncio.gather(
                ParallelExecutor().execute_parallel([child("a", sys.argv[1])]),
                ParallelExecutor().execute_parallel([child("b", sys.argv[2])]),
            )

        try:
            asyncio.run(main())
        except KeyboardInterrupt:
            print("interrupted")
            sys.exit(130)
        """,
        str(first),
        str(second),
    )
    asyncio.run(asyncio.wait_for(wait_for_file(first), 30))
    asyncio.run(asyncio.wait_for(wait_for_file(second), 30))
    pids = [read_pid(first), read_pid(second)]
    program.send_signal(signal.SIGINT)
    code, output = finish(program)
    assert code == 130, output
    assert "interrupted" in output.splitlines()
    assert all(wait_gone(pid) for pid in pids)
