"""Every way hookrunner handles SIGINT and SIGTERM, in one place.

- The command's process handlers (:func:`install`): SIGTERM unwinds like
  Ctrl-C, so ``finally`` blocks put the user's unstaged work back.
- :func:`held`: a block that a signal must not cut in half (saving or
  restoring unstaged work, building the event loop); a signal that arrives
  meanwhile is delivered as soon as the block ends.
- :func:`run_held`: ``asyncio.run`` with the loop built under :func:`held`.
- :func:`listening`: the executor's hook. While at least one run is active in
  the main thread, SIGINT and SIGTERM are handled through the event loop and
  passed to every active run (each cancels itself, stops and reaps its
  children, then raises). When the last run ends, the process's handling is
  put back exactly as it was: Python-level handlers (``signal.signal``), a
  host's own ``loop.add_signal_handler`` callbacks, and the wake-up
  descriptor. Runs that overlap (``gather``) share one installation; a run
  started inside another run's task does not register (its outer run
  cancels it).

This module imports nothing else from the package, and nothing costly
(asyncio only inside :func:`run_held`): every run installs the handlers, also
one answered from the cache.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

if TYPE_CHECKING:
    import asyncio

T = TypeVar("T")

SIGNALS = (signal.SIGINT, signal.SIGTERM)


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


# -- the executor's hook --------------------------------------------------------

Listener = Callable[[int], None]


class _Installation:
    """What was there before the first active run, to be put back after the last."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.listeners: dict[int, Listener] = {}
        self.stopping: set[int] = set()
        self.waiters: list[asyncio.Future[None]] = []
        self.next_id = 0
        # The loop keeps its signal callbacks in a private table: it is the
        # only way to see (and so restore) a host's own add_signal_handler.
        table: dict[int, Any] = getattr(loop, "_signal_handlers", {})
        self.loop_handles = {sig: table.get(sig) for sig in SIGNALS}
        self.handlers = {sig: signal.getsignal(sig) for sig in SIGNALS}
        self.wakeup_fd = signal.set_wakeup_fd(-1)
        signal.set_wakeup_fd(self.wakeup_fd)
        for sig in SIGNALS:
            loop.add_signal_handler(sig, self.dispatch, sig)

    def dispatch(self, signum: int) -> None:
        for key, listener in list(self.listeners.items()):
            self.stopping.add(key)
            listener(signum)

    def stopped(self, key: int) -> bool:
        """``key`` has stopped; True when no run the signal reached is left."""
        self.stopping.discard(key)
        if self.stopping:
            return False
        for waiter in self.waiters:
            if not waiter.done():
                waiter.set_result(None)
        self.waiters.clear()
        return True

    def restore(self) -> None:
        for sig in SIGNALS:
            self.loop.remove_signal_handler(sig)
            handle = self.loop_handles[sig]
            if handle is not None and not handle.cancelled():
                self.loop.add_signal_handler(sig, handle._callback, *handle._args)
            elif self.handlers[sig] is not None:
                # None: a handler installed outside Python, which we cannot put back.
                signal.signal(sig, self.handlers[sig])
        signal.set_wakeup_fd(self.wakeup_fd)


class Scope:
    """One run's registration."""

    def __init__(self, installation: _Installation, key: int) -> None:
        self._installation = installation
        self._key = key

    async def settled(self) -> None:
        """Wait until every run the signal reached has stopped its work, so
        that raising from here ends no other run half way."""
        installation = self._installation
        if installation.stopped(self._key):
            return
        waiter: asyncio.Future[None] = installation.loop.create_future()
        installation.waiters.append(waiter)
        await waiter


_installed: _Installation | None = None


@contextlib.contextmanager
def listening(loop: asyncio.AbstractEventLoop, listener: Listener) -> Iterator[Scope | None]:
    """Pass SIGINT and SIGTERM to ``listener`` while the block runs.

    Yields None (and does nothing) outside the main thread, where signals
    cannot be handled, or on a loop without signal support.
    """
    global _installed
    import threading  # only a run of the engine pays for it, not every hook

    if threading.current_thread() is not threading.main_thread():
        yield None
        return
    if _installed is not None and _installed.loop is not loop:
        # Another loop left runs registered (it was stopped mid-run): its
        # handlers are useless now; take over from what it saved.
        stale, _installed = _installed, None
        stale.listeners.clear()
        with contextlib.suppress(Exception):
            stale.restore()
    if _installed is None:
        try:
            _installed = _Installation(loop)
        except (NotImplementedError, RuntimeError, ValueError):
            # Runs are still cancelled by their caller, just not by a signal.
            yield None
            return
    installation = _installed
    key = installation.next_id
    installation.next_id += 1
    installation.listeners[key] = listener
    try:
        yield Scope(installation, key)
    finally:
        del installation.listeners[key]
        installation.stopped(key)
        if not installation.listeners and _installed is installation:
            _installed = None
            installation.restore()
