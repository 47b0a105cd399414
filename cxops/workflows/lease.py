"""One apply per stage at a time: a lease line in the live agent's description (core/marker.py).

Before its first write, apply reads the agent; an unexpired lease of someone else refuses the
run, naming its holder and time. Otherwise it writes its own lease, waits a moment and reads
again: two runs that started together both wrote, the later write won, and the run that finds
another token backs off before any other write. While running, apply renews the lease every
``TTL / 3``; at the end it removes the lease and stamps the secret sources it used. A killed
apply leaves its lease, which expires after ``TTL``; ``--break-lease`` takes it over at once.

One holder is known to be dead without waiting: an earlier attempt of the same GitHub Actions
run. GitHub re-runs jobs only of a run that has completed (cancelled included; asking earlier
is refused with 403, https://github.com/cli/cli/issues/9221), each re-run with the same
``GITHUB_RUN_ID`` and the next ``GITHUB_RUN_ATTEMPT``
(https://docs.github.com/en/actions/managing-workflow-runs/re-running-workflows-and-jobs), so a
lease naming this run with a lower attempt belongs to a process that is gone. A re-run takes it
over, and clears it even when it finds nothing left to write. Nothing else is trusted: a host
name and a pid can repeat across containers.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets as random_tokens
import socket
import time
from collections.abc import Callable, Mapping
from typing import Any

from cxops.core import marker
from cxops.cx import CxSession
from cxops.errors import GateError

TTL = dt.timedelta(minutes=10)
SETTLE_SECONDS = float(os.environ.get("CXOPS_LEASE_SETTLE_SECONDS", "1.0"))

Clock = Callable[[], dt.datetime]


def ci_run(env: Mapping[str, str] | None = None) -> tuple[str, int] | None:
    """(run id, attempt) of the GitHub Actions run this process belongs to, else None."""
    env = os.environ if env is None else env
    run_id, attempt = env.get("GITHUB_RUN_ID", ""), env.get("GITHUB_RUN_ATTEMPT", "")
    if env.get("GITHUB_ACTIONS") != "true" or not run_id.isdigit() or not attempt.isdigit():
        return None
    return run_id, int(attempt)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def left_by_an_earlier_attempt(held: marker.Lease, run: tuple[str, int] | None) -> bool:
    """Whether ``held`` was written by an earlier attempt of ``run`` (so its process is gone)."""
    run_id, _, attempt = held.run.partition(".")
    return run is not None and run_id == run[0] and attempt.isdigit() and int(attempt) < run[1]


class StageLease:
    def __init__(
        self,
        session: CxSession,
        agent: str,
        stage: str,
        holder: str,
        *,
        clock: Clock = _utcnow,
        settle: float = SETTLE_SECONDS,
        run: tuple[str, int] | None = None,
    ) -> None:
        self.session, self.agent, self.stage = session, agent, stage
        self.holder = marker.field_value(holder)
        self.token = random_tokens.token_hex(6)
        self.clock, self.settle = clock, settle
        self.run = run
        self.renewed_at: dt.datetime | None = None
        # The holder of a lease taken over from an earlier attempt of this CI run, to report.
        self.taken_over: str | None = None

    def _read(self) -> tuple[Any, str, dict[str, str]]:
        """The agent as read now, its own description, and cxops's lines in it."""
        current = self.session.get_agent(self.agent)
        description, marks = marker.split(current.description)
        return current, description, marks

    def _write(self, current: Any, description: str, marks: Mapping[str, str]) -> None:
        self.session.set_agent_description(current, marker.join(description, marks))

    def _lease(self) -> marker.Lease:
        run = f"{self.run[0]}.{self.run[1]}" if self.run else ""
        return marker.Lease(self.holder, self.token, self.clock() + TTL, run)

    def acquire(self, *, break_lease: bool = False) -> None:
        current, description, marks = self._read()
        held = marker.Lease.parse(marks.get("lease", "")) if "lease" in marks else None
        held = held if held is not None and held.until > self.clock() else None  # expired: absent
        if held is not None and left_by_an_earlier_attempt(held, self.run):
            self.taken_over = held.holder
        elif held is not None and not break_lease:
            raise GateError(
                f"{self.stage}: another apply holds the stage's lease: {held.holder}, until "
                f"{held.until.strftime('%H:%M:%S UTC')}; wait for it, or --break-lease if that run is dead"
            )
        marks["lease"] = self._lease().text()
        self._write(current, description, marks)
        time.sleep(self.settle)
        now_held = marker.Lease.parse(self._read()[2].get("lease", ""))
        if now_held is None or now_held.token != self.token:
            who = now_held.holder if now_held is not None else "someone"
            raise GateError(f"{self.stage}: another apply took the stage's lease at the same moment: {who}")
        self.renewed_at = self.clock()

    def clear_earlier_attempt(self) -> None:
        """For a run with nothing to write: remove a lease left by an earlier attempt of it
        (only on a re-run; a first attempt reads nothing)."""
        if self.run is None or self.run[1] < 2:
            return
        current, description, marks = self._read()
        held = marker.Lease.parse(marks.get("lease", ""))
        if held is not None and left_by_an_earlier_attempt(held, self.run):
            del marks["lease"]
            self._write(current, description, marks)
            self.taken_over = held.holder

    def renew_if_due(self) -> None:
        if self.renewed_at is not None and self.clock() - self.renewed_at >= TTL / 3:
            current, description, marks = self._read()
            marks["lease"] = self._lease().text()
            self._write(current, description, marks)
            self.renewed_at = self.clock()

    def release(self, sources: Mapping[str, str] | None = None) -> None:
        """Remove the lease; ``sources`` (after a verified apply) become the stage's stamp."""
        current, description, marks = self._read()
        held = marker.Lease.parse(marks.get("lease", ""))
        if held is not None and held.token == self.token:
            del marks["lease"]
        if sources is not None:
            marks["sources"] = marker.sources_stamp(sources)
        self._write(current, description, marks)


def holder_name(author: str) -> str:
    return f"{author}@{socket.gethostname()}:{os.getpid()}"
