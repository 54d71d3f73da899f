"""Run one command as a supervised child process.

The child gets its own session (so its whole process group can be signalled
and a terminal's Ctrl-C reaches only us), stdin from /dev/null, and one pipe
for stdout and stderr so their order is kept. Output is captured with a
memory bound. Whatever happens (exit, timeout, cancellation), the group is
killed and the child is reaped before we return or re-raise.

Exit is watched through a pidfd where the OS has one: it turns readable when
the child exits but before it is reaped, so the group can be killed while its
id cannot yet be reused.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import inspect
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from hookrunner.engine.child import GRACE_PERIOD, cpu_seconds, exited, signal_group, start_child

HEAD_LIMIT = 256 * 1024
TAIL_LIMIT = 256 * 1024
"""Bytes of output kept from the start and from the end of a task's output."""

_DRAIN_AFTER_EXIT = 1.0
"""Seconds to wait for the pipe to close once the group is dead: a process
that left the group (a daemon) may still hold it."""

_POLL_INTERVAL = 0.005


class ProcessResult(NamedTuple):
    """What one child did: ``exit_code`` is None when it never started,
    negative when a signal ended it."""

    argv: tuple[str, ...]
    exit_code: int | None
    output: str
    duration: float
    timed_out: bool = False
    dropped: int = 0
    error: str = ""
    cpu: float | None = None
    """CPU seconds of the child and the children it waited for, where known."""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    @property
    def status(self) -> str:
        """The executor's word for it: ``success``, ``failed`` or ``timeout``."""
        if self.timed_out:
            return "timeout"
        return "success" if self.exit_code == 0 else "failed"


class BoundedOutput:
    """Keep the head and the tail of a byte stream; count what falls between."""

    def __init__(self, head: int = HEAD_LIMIT, tail: int = TAIL_LIMIT) -> None:
        self._head_limit = head
        self._tail_limit = tail
        self._head = bytearray()
        self._tail: collections.deque[bytes] = collections.deque()
        self._tail_size = 0
        self.dropped = 0

    def add(self, data: bytes) -> None:
        room = self._head_limit - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if not data:
            return
        self._tail.append(data)
        self._tail_size += len(data)
        while self._tail_size > self._tail_limit:
            excess = self._tail_size - self._tail_limit
            first = self._tail[0]
            if len(first) <= excess:
                self._tail.popleft()
                self._tail_size -= len(first)
                self.dropped += len(first)
            else:
                self._tail[0] = first[excess:]
                self._tail_size -= excess
                self.dropped += excess

    def text(self) -> str:
        head = self._head.decode(errors="replace")
        tail = b"".join(self._tail).decode(errors="replace")
        if self.dropped:
            note = f"\n[... {self.dropped} bytes of output dropped ...]\n"
            return head + note + tail
        return head + tail


class _Child:
    """A started child: its output pump and an exit future that does not reap."""

    def __init__(self, popen: subprocess.Popen[bytes], capture: BoundedOutput) -> None:
        self.popen = popen
        self.capture = capture
        self.loop = asyncio.get_running_loop()
        self.exited: asyncio.Future[None] = self.loop.create_future()
        self.eof: asyncio.Future[None] = self.loop.create_future()
        assert popen.stdout is not None
        self._out = popen.stdout.fileno()
        os.set_blocking(self._out, False)
        self.loop.add_reader(self._out, self._read)
        self._pidfd = -1
        self._poller: asyncio.TimerHandle | None = None
        self.cpu: float | None = None
        try:
            self._pidfd = os.pidfd_open(popen.pid)
        except (AttributeError, OSError):
            self._poll()
        else:
            self.loop.add_reader(self._pidfd, self._on_exit)

    def _read(self) -> None:
        try:
            data = os.read(self._out, 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            self.capture.add(data)
        else:
            self._close_output()

    def _close_output(self) -> None:
        self.loop.remove_reader(self._out)
        if not self.eof.done():
            self.eof.set_result(None)

    def _on_exit(self) -> None:
        self.loop.remove_reader(self._pidfd)
        if not self.exited.done():
            self.exited.set_result(None)

    def _poll(self) -> None:
        # exited() leaves the child unreaped, as a pidfd does, so finish() can
        # still kill what it left in its group (poll() would reap it and free
        # its pid, and with it the right to signal the group). A child reaped
        # by someone else (a SIGCHLD handler of the host program) has exited.
        if exited(self.popen):
            self.exited.set_result(None)
        else:
            self._poller = self.loop.call_later(_POLL_INTERVAL, self._poll)

    def signal_group(self, signum: int) -> None:
        signal_group(self.popen, signum)

    async def stop(self, grace: float) -> None:
        """SIGTERM the group, wait ``grace`` seconds for the child, then SIGKILL."""
        if not self.exited.done():
            self.signal_group(signal.SIGTERM)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(self.exited), grace)
        await self.finish()

    async def finish(self) -> None:
        """Kill what is left of the group, reap the child, drain the pipe."""
        self.signal_group(signal.SIGKILL)
        await asyncio.shield(self.exited)
        if self.popen.returncode is None:
            self.cpu = cpu_seconds(self.popen.pid)
        self.popen.wait()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(self.eof), _DRAIN_AFTER_EXIT)
        self.close()

    def close(self) -> None:
        if not self.eof.done():
            self._close_output()
        if self._pidfd >= 0:
            self.loop.remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = -1
        if self._poller is not None:
            self._poller.cancel()
        assert self.popen.stdout is not None
        self.popen.stdout.close()


async def run_process(
    argv: Sequence[str],
    *,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    grace: float = GRACE_PERIOD,
    popen: subprocess.Popen[bytes] | None = None,
    started: float | None = None,
    low_priority: bool = False,
) -> ProcessResult:
    """Run ``argv`` to completion, a timeout, or cancellation.

    Cancellation stops the group (SIGTERM, grace, SIGKILL), reaps the child,
    then re-raises. A missing executable is a result, not an exception.
    ``popen``: the child is already running, started from ``argv`` by
    :func:`hookrunner.engine.child.start_child` at ``started`` (a
    ``time.perf_counter()`` value); its time and its timeout count from then.
    ``low_priority``: the child yields the CPU to other tasks
    (:func:`hookrunner.engine.child.lower_priority`).
    """
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be a positive number or None, got {timeout!r}")
    argv = tuple(argv)
    if popen is None or started is None:
        started = time.perf_counter()
        try:
            popen = start_child(argv, cwd, env, low_priority)
        except OSError as exc:
            return _not_started(argv, cwd, exc)
    capture = BoundedOutput()
    child = _Child(popen, capture)
    timed_out = False
    try:
        try:
            left = None if timeout is None else timeout - (time.perf_counter() - started)
            await asyncio.wait_for(asyncio.shield(child.exited), left)
        except asyncio.TimeoutError:
            timed_out = True
            await child.stop(grace)
        else:
            await child.finish()
    except BaseException:
        # Cancelled (or worse): the child must still be stopped and reaped,
        # even if we are cancelled again while waiting for it.
        await _uncancellable(child.stop(grace))
        raise
    duration = time.perf_counter() - started
    code = popen.returncode
    error = ""
    if timed_out:
        error = f"timed out after {timeout:g}s"
    elif code != 0:
        error = f"exit code {code}"
    return ProcessResult(
        argv, code, capture.text(), duration, timed_out, capture.dropped, error, child.cpu
    )


def _not_started(
    argv: tuple[str, ...], cwd: str | os.PathLike[str] | None, exc: OSError
) -> ProcessResult:
    """The result of a command that could not be started."""
    if isinstance(exc, FileNotFoundError):
        missing = cwd if cwd is not None and not os.path.isdir(cwd) else None
        error = (
            f"working directory not found: {missing}"
            if missing is not None
            else f"command not found: {argv[0]}"
        )
    elif isinstance(exc, PermissionError):
        error = f"permission denied: {argv[0]}"
    else:
        error = f"cannot run {argv[0]}: {exc.strerror or exc}"
    return ProcessResult(argv, None, error, 0.0, error=error)


async def _uncancellable(coro: object) -> None:
    """Run ``coro`` to the end even if the caller is cancelled meanwhile."""
    assert asyncio.iscoroutine(coro)
    task = asyncio.ensure_future(coro)
    while not task.done():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(task)
    task.result()


async def call(func: Callable[..., Any], kwargs: Mapping[str, Any], pool: str = "thread") -> Any:
    """Call a task function: await a coroutine function; run a plain one in a
    worker thread (``pool="thread"``) or a worker process (``"process"``)."""
    code = getattr(func, "__code__", None)  # the common case, without inspect's unwrapping
    if (code.co_flags & inspect.CO_COROUTINE) if code else inspect.iscoroutinefunction(func):
        return await func(**kwargs)
    if pool == "process":
        return await call_in_process(func, kwargs)
    loop = asyncio.get_running_loop()
    value = await loop.run_in_executor(None, functools.partial(func, **kwargs))
    # A plain function may still return an awaitable (a lambda around a coroutine).
    return await value if inspect.isawaitable(value) else value


def _worker(conn: Any, func: Callable[..., Any], kwargs: Mapping[str, Any]) -> None:
    """The worker process: call ``func``, send back its value or exception."""
    # A terminal's Ctrl-C reaches the whole process group; the parent decides
    # (and kills this worker), as for the children run_process starts.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        reply: tuple[bool, Any] = (True, func(**kwargs))
    except BaseException as exc:  # the caller re-raises it as the task's outcome
        reply = (False, exc)
    try:
        conn.send(reply)
    except Exception as exc:  # an unpicklable value or exception
        conn.send((False, RuntimeError(f"cannot send the result back: {exc}")))
    conn.close()


async def _readable(fd: int) -> None:
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        loop.remove_reader(fd)


async def call_in_process(func: Callable[..., Any], kwargs: Mapping[str, Any]) -> Any:
    """``func(**kwargs)`` in a fresh worker process (started by ``spawn``, so
    ``func``, its arguments and its value must pickle). Its exception is
    raised here. Cancelled (a timeout, fail-fast, Ctrl-C), the worker is
    killed and reaped before the cancellation goes on."""
    import multiprocessing
    import pickle

    context = multiprocessing.get_context("spawn")
    reader, writer = context.Pipe(duplex=False)
    worker = context.Process(target=_worker, args=(writer, func, dict(kwargs)), daemon=True)
    try:
        worker.start()
    except (pickle.PicklingError, AttributeError, TypeError) as exc:
        # Nothing started. Python names the same failure differently from one
        # version to the next (a lambda: PicklingError, AttributeError in 3.13).
        reader.close()
        raise TypeError(
            f"the task must pickle to run in a worker process: {type(exc).__name__}: {exc}"
        ) from exc
    except BaseException:
        reader.close()
        raise
    finally:
        writer.close()
    try:
        await _readable(reader.fileno())
        try:
            ok, value = reader.recv()
        except EOFError:
            await _readable(worker.sentinel)
            worker.join()
            ok, value = False, RuntimeError(f"worker process died (exit code {worker.exitcode})")
    except BaseException:
        worker.kill()
        raise
    finally:
        reader.close()
        await _uncancellable(_reap(worker))
    if ok:
        return value
    raise value


async def _reap(worker: Any) -> None:
    if worker.exitcode is None:
        await _readable(worker.sentinel)
    worker.join()
    worker.close()
