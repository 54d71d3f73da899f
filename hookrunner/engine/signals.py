"""Every way hookrunner handles SIGINT and SIGTERM, in one place.

- The command's process handlers (:func:`install`): SIGTERM unwinds like
  Ctrl-C, so ``finally`` blocks put the user's unstaged work back.
- :func:`held`: a block that a signal must not cut in half (saving or
  restoring unstaged work, building the event loop); a signal that arrives
  meanwhile is delivered as soon as the block ends.
- :func:`run_held`: ``asyncio.run`` with the loop built under :func:`held`.

This module imports nothing costly (asyncio only inside :func:`run_held`):
every run installs the handlers, also one answered from the cache.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, NoReturn, TypeVar

T = TypeVar("T")

SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


class Interrupted(KeyboardInterrupt):
    """Ctrl-C, as our own handler raises it.

    Python's handler raises KeyboardInterrupt itself, and when that lands in
    code run from a string (``exec``/``eval``, which namedtuple and dataclass
    creation use while a module is imported) CPython marks the interrupt as
    unhandled, even once it is caught: ``python -m hookrunner`` then ends as
    killed by SIGINT instead of with its exit code. A subclass is not marked.
    """


def _terminate(signum: int, frame: FrameType | None) -> NoReturn:
    raise SystemExit(128 + signum)


def _interrupt(signum: int, frame: FrameType | None) -> NoReturn:
    raise Interrupted


_lost: list[BaseException] = []


def _deliver_lost(signum: int, frame: FrameType | None) -> NoReturn:
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    raise _lost.pop()


def _reraise_lost_signal(unraisable: Any) -> None:
    """A Ctrl-C or SIGTERM whose handler raised inside a finalizer (say a
    Popen's ``__del__``) is printed and dropped by Python, and the run would
    go on. Raise it again a moment later, in ordinary code (raising it here
    would be dropped the same way), so the run stops and puts the work back."""
    exc = unraisable.exc_value
    lost = isinstance(exc, KeyboardInterrupt) or (
        isinstance(exc, SystemExit) and exc.code == 128 + signal.SIGTERM
    )
    if not lost:
        sys.__unraisablehook__(unraisable)
        return
    _lost[:] = [exc]
    signal.signal(signal.SIGALRM, _deliver_lost)
    signal.setitimer(signal.ITIMER_REAL, 0.001)


def install() -> None:
    """The command's handlers: Ctrl-C raises :class:`Interrupted`, SIGTERM
    ``SystemExit(143)``, and a signal lost in a finalizer is raised again."""
    sys.unraisablehook = _reraise_lost_signal
    signal.signal(signal.SIGTERM, _terminate)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupt)


def exit_code(exc: BaseException) -> int:
    """The exit code a run cut short by ``exc`` (Ctrl-C or SIGTERM) ends with."""
    if isinstance(exc, SystemExit):
        return exc.code if isinstance(exc.code, int) else 128 + signal.SIGTERM
    return 128 + signal.SIGINT


@contextmanager
def held() -> Iterator[None]:
    """Inside, SIGINT and SIGTERM wait; they are delivered when the block ends."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextmanager
def released() -> Iterator[None]:
    """Inside a :func:`held` block: let signals through for a while. A signal
    that waited is raised as they are let through, inside the ``try``, so the
    mask is always put back."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, set())
    try:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS)
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def run_held(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run(main())``, except that Ctrl-C or SIGTERM is held while the
    event loop is built and the coroutine is wrapped in a task: a signal landing
    in between would leave a half-built loop, or a coroutine never started,
    whose finalizer prints a traceback over the run's output."""
    import asyncio

    with held():
        loop = asyncio.new_event_loop()
        task = loop.create_task(main())
    try:
        asyncio.set_event_loop(loop)
        return loop.run_until_complete(task)
    finally:
        try:
            # As asyncio.run ends: whatever is left is cancelled and awaited
            # (a task cut short by a signal still stops its processes).
            left = asyncio.all_tasks(loop)
            for job in left:
                job.cancel()
            loop.run_until_complete(asyncio.gather(*left, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()
