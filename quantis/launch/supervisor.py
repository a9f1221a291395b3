"""Keep what `quantis up` started running: notice a server that exited, say so in one line,
start it again after a growing pause, and give up with a clear message after repeated
failures (a server that dies again soon after each start counts as failing too).

A `Service` is a name, how to start it (waiting until it is healthy) and its current pid; the
supervisor knows nothing of what the services are (`quantis.launch.services` builds them).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.processes import descendants, end_leftovers, is_alive

__all__ = ["Service", "Started", "Supervisor"]


@dataclass(frozen=True)
class Started:
    """A started (and healthy) server: its pid, where it answers, its log."""

    pid: int
    url: str | None = None
    log_path: Path | None = None


@dataclass
class Service:
    name: str
    start: Callable[[], Started]  # raises when the server does not become healthy
    current: Started
    failures: int = 0  # failed starts or early exits in a row
    started_at: float = field(default_factory=time.monotonic)
    next_attempt: float | None = None  # when a restart is due, once an exit was noticed
    given_up: bool = False
    # Its processes outside its group (as of its start), ended when it dies without them.
    helpers: list[tuple[int, str]] = field(default_factory=list)


class Supervisor:
    """Watches services; `check()` does one round, `watch(stop)` rounds until `stop` is set."""

    def __init__(
        self,
        say: Callable[[str], None],
        *,
        max_failures: int = 5,
        first_backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        stable_after_s: float = 60.0,
        on_change: Callable[[Service], None] = lambda service: None,
    ) -> None:
        self.say = say
        self.max_failures = max_failures
        self.first_backoff_s = first_backoff_s
        self.max_backoff_s = max_backoff_s
        self.stable_after_s = stable_after_s
        self.on_change = on_change
        self.services: dict[str, Service] = {}

    def add(self, name: str, start: Callable[[], Started], current: Started) -> Service:
        self.services[name] = Service(name, start, current, helpers=descendants(current.pid))
        return self.services[name]

    def _backoff(self, failures: int) -> float:
        return min(self.max_backoff_s, self.first_backoff_s * 2 ** max(0, failures - 1))

    def _give_up(self, service: Service, why: str) -> None:
        service.given_up = True
        log = f"; its log: {service.current.log_path}" if service.current.log_path else ""
        self.say(
            f"{service.name} {why} {service.failures} times in a row: giving up on it{log}. "
            "The rest keeps running; fix the cause and run `quantis up` again."
        )
        self.on_change(service)

    def _noticed_exit(self, service: Service, now: float) -> None:
        # A server killed outright leaves workers of other sessions behind, holding its port.
        end_leftovers(service.helpers)
        if now - service.started_at >= self.stable_after_s:
            service.failures = 0  # it ran long enough: a fresh start of the count
        service.failures += 1
        if service.failures > self.max_failures:
            self._give_up(service, "exited")
            return
        delay = self._backoff(service.failures)
        service.next_attempt = now + delay
        self.say(
            f"{service.name} (pid {service.current.pid}) exited; restarting in {delay:.0f}s "
            f"(attempt {service.failures} of {self.max_failures})"
        )

    def _restart(self, service: Service, now: float) -> None:
        try:
            started = service.start()
        except Exception as error:  # any failure to start counts the same
            service.failures += 1
            reason = (str(error).strip() or type(error).__name__).splitlines()[0]
            if service.failures > self.max_failures:
                self._give_up(service, f"did not start ({reason})")
                return
            delay = self._backoff(service.failures)
            service.next_attempt = time.monotonic() + delay
            self.say(
                f"{service.name} did not start ({reason}); retrying in {delay:.0f}s "
                f"(attempt {service.failures} of {self.max_failures})"
            )
            return
        service.current, service.started_at, service.next_attempt = started, now, None
        service.helpers = descendants(started.pid)
        where = f" at {started.url}" if started.url else ""
        self.say(f"{service.name} is back (pid {started.pid}){where}")
        self.on_change(service)

    def check(self) -> None:
        now = time.monotonic()
        for service in self.services.values():
            if service.given_up:
                continue
            if service.next_attempt is None:
                if not is_alive(service.current.pid):
                    self._noticed_exit(service, now)
            elif now >= service.next_attempt:
                self._restart(service, now)

    def watch(self, stop: threading.Event, interval_s: float = 1.0) -> None:
        while not stop.is_set():
            self.check()
            stop.wait(interval_s)
