"""A run's timeouts: one timer, armed for the earliest deadline."""

from __future__ import annotations

import asyncio
import heapq
from collections.abc import Callable


class Deadlines:
    """Calls ``due(name, attempt)`` when an attempt's time is up; an attempt
    that has ended is dropped by ``due`` itself when its deadline comes up."""

    def __init__(self, loop: asyncio.AbstractEventLoop, due: Callable[[str, int], None]) -> None:
        self.loop = loop
        self.due = due
        self.heap: list[tuple[float, int, str, int]] = []
        self.timer: asyncio.TimerHandle | None = None

    def watch(self, order: int, name: str, attempt: int, timeout: float) -> None:
        deadline = self.loop.time() + timeout
        heapq.heappush(self.heap, (deadline, order, name, attempt))
        if self.timer is None or deadline < self.timer.when():
            if self.timer is not None:
                self.timer.cancel()
            self.timer = self.loop.call_at(deadline, self._expire)

    def _expire(self) -> None:
        assert self.timer is not None
        now, self.timer = self.timer.when(), None
        while self.heap and self.heap[0][0] <= now:
            _, _, name, attempt = heapq.heappop(self.heap)
            self.due(name, attempt)
        if self.heap:
            self.timer = self.loop.call_at(self.heap[0][0], self._expire)

    def cancel(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
