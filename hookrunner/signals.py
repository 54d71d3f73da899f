"""Process signal handling, shared by every run in the process.

While at least one run is active in the main thread, SIGINT and SIGTERM are
handled through the event loop and passed to every active run (each cancels
itself, stops and reaps its children, then raises). When the last run ends,
the process's handling is put back exactly as it was: Python-level handlers
(``signal.signal``), a host's own ``loop.add_signal_handler`` callbacks, and
the wake-up descriptor.

Runs that overlap (``gather``) share one installation; a run started inside
another run's task does not register (its outer run cancels it).

This module imports nothing else from the package.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

SIGNALS = (signal.SIGINT, signal.SIGTERM)

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
