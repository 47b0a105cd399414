"""One apply per stage at a time: the lease in the agent's description, and the sources stamp."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cxops.cli.main import main
from cxops.core import marker
from cxops.cx import ConnectionSettings, CxSession
from cxops.fake import FakeCX
from cxops.workflows.lease import TTL, StageLease, ci_run
from tests.stagerepo import (
    LEASE_WRITES,
    SECRET_ENV,
    SECRET_VALUE,
    sample_stage,
)

PROJECT = "acme-bots-stg"


@pytest.fixture
def repo(fake: FakeCX, clients: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    return tmp_path, sample_stage(tmp_path, fake.address, clients, monkeypatch)


def cli(root: Path, *args: str) -> int:
    return main(["--root", str(root), "-q", *args])


def test_marker_lines_round_trip() -> None:
    marks = {"lease": "holder=a until=2026-01-01T00:00:00Z token=1", "sources": "abc"}
    text = marker.join("Takes orders.\nIn two languages.", marks)
    assert marker.split(text) == ("Takes orders.\nIn two languages.", marks)
    assert marker.split(marker.join("", marks)) == ("", marks)
    assert marker.split("[cxops-lease garbled]")[1] == {"lease": "garbled"}
    assert marker.Lease.parse("garbled") is None


def test_a_held_lease_refuses_with_its_holder_and_break_lease_takes_it_over(
    repo: tuple[Path, str], fake: FakeCX, capsys: pytest.CaptureFixture[str]
) -> None:
    root, agent = repo
    with CxSession(ConnectionSettings(emulator_host=fake.address)) as session:
        StageLease(session, agent, "stg", "ana@laptop", settle=0).acquire()
    fake.reset_calls()
    capsys.readouterr()
    assert cli(root, "apply", "stg", "--auto-approve") == 1
    err = capsys.readouterr().err
    assert "stg: another apply holds the stage's lease: ana@laptop, until" in err
    assert len(err.strip().splitlines()) == 1 and fake.write_count() == 0
    assert cli(root, "apply", "stg", "--auto-approve", "--break-lease") == 0
    description = fake_description(fake, agent)
    assert "[cxops-lease" not in description and "[cxops-sources" in description
    assert cli(root, "drift", "stg") == 0  # the stamp is never content


def test_an_expired_lease_is_taken_without_asking(repo: tuple[Path, str], fake: FakeCX) -> None:
    root, agent = repo
    long_ago = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
    with CxSession(ConnectionSettings(emulator_host=fake.address)) as session:
        StageLease(session, agent, "stg", "killed-run", settle=0, clock=lambda: long_ago).acquire()
    assert long_ago + TTL < dt.datetime.now(dt.timezone.utc)
    assert cli(root, "apply", "stg", "--auto-approve") == 0


def fake_description(fake: FakeCX, agent: str) -> str:
    with CxSession(ConnectionSettings(emulator_host=fake.address)) as session:
        return str(session.get_agent(agent).description)


def test_two_concurrent_applies_exactly_one_writes(repo: tuple[Path, str], fake: FakeCX) -> None:
    root, _ = repo
    plans = []
    for name in ("a", "b"):
        path = root / f"{name}.json"
        assert cli(root, "plan", "stg", "-o", str(path)) == 0
        plans.append(path)
    writes = len(json.loads(plans[0].read_text())["writes"])
    env = {
        **os.environ,
        "CXOPS_EMULATOR_HOST": fake.address,
        SECRET_ENV: SECRET_VALUE,
        # Long enough that the second run's gate and lease read fall inside the first's hold.
        "CXOPS_LEASE_SETTLE_SECONDS": "1.5",
    }
    fake.reset_calls()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "cxops", "--root", str(root), "-q", "apply", str(plan)],
            env={**env, "CXOPS_AUTHOR": f"run-{plan.stem}"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for plan in plans
    ]
    results = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in procs]
    assert sorted(code for code, _ in results) == [0, 1], results
    lost = next(i for i, (code, _) in enumerate(results) if code == 1)
    message = results[lost][1]
    # One line, naming the run that holds the stage.
    assert "lease" in message and f"run-{'ba'[lost]}@" in message and len(message.strip().splitlines()) == 1
    # The winner's writes and its lease; the loser at most the lease line it lost the race with.
    assert writes + LEASE_WRITES <= fake.write_count() <= writes + LEASE_WRITES + 1
    assert fake.count("UpdateAgent") <= LEASE_WRITES + 1 + sum(
        1 for w in json.loads(plans[0].read_text())["writes"] if w["kind"] == "agent"
    )


def test_a_secret_read_from_another_source_since_the_last_apply_is_marked(
    repo: tuple[Path, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = repo
    assert cli(root, "apply", "stg", "--auto-approve") == 0
    monkeypatch.setenv("CXOPS_ELSEWHERE", SECRET_VALUE)  # the same value: nothing to write
    stage = root / "environments" / "stg.yaml"
    stage.write_text(stage.read_text().replace(f"env:{SECRET_ENV}", "env:CXOPS_ELSEWHERE"))
    capsys.readouterr()
    assert main(["--root", str(root), "plan", "stg"]) == 0
    out = capsys.readouterr().out
    assert "secret orders-api/X-Api-Key: now read from env:CXOPS_ELSEWHERE" in out


def test_a_github_actions_run_and_attempt_are_read_from_its_environment() -> None:
    github = {"GITHUB_ACTIONS": "true", "GITHUB_RUN_ID": "8618823448", "GITHUB_RUN_ATTEMPT": "2"}
    assert ci_run(github) == ("8618823448", 2)
    assert ci_run({**github, "GITHUB_ACTIONS": "false"}) is None
    assert ci_run({**github, "GITHUB_RUN_ATTEMPT": ""}) is None
    assert ci_run({}) is None
    held = marker.Lease.parse("holder=ci@runner:7 until=2026-01-01T00:00:00Z token=1 run=8618823448.1")
    assert held is not None and held.run == "8618823448.1" and held.text().endswith(" run=8618823448.1")


def github_attempt(monkeypatch: pytest.MonkeyPatch, run_id: str, attempt: int) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_RUN_ID", run_id)
    monkeypatch.setenv("GITHUB_RUN_ATTEMPT", str(attempt))


def leave_lease(fake: FakeCX, agent: str, run: tuple[str, int] | None) -> None:
    """A lease as a killed apply leaves it: written, never released."""
    with CxSession(ConnectionSettings(emulator_host=fake.address)) as session:
        StageLease(session, agent, "stg", "ci@runner:41", settle=0, run=run).acquire()


@pytest.mark.parametrize(
    ("left_by", "rerun", "taken"),
    [
        (("555", 1), ("555", 2), True),  # a re-run of the run whose attempt was cancelled
        (("555", 1), ("555", 1), False),  # another job of the same attempt may still be running
        (("555", 2), ("555", 1), False),
        (("444", 1), ("555", 2), False),  # another run
        (None, ("555", 2), False),  # a lease from outside GitHub Actions
    ],
)
def test_a_re_run_takes_over_the_lease_its_cancelled_attempt_left(
    repo: tuple[Path, str],
    fake: FakeCX,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    left_by: tuple[str, int] | None,
    rerun: tuple[str, int],
    taken: bool,
) -> None:
    root, agent = repo
    leave_lease(fake, agent, left_by)
    github_attempt(monkeypatch, *rerun)
    capsys.readouterr()
    assert cli(root, "apply", "stg", "--auto-approve") == (0 if taken else 1)
    err = capsys.readouterr().err
    if taken:
        assert "stg: took over the stage's lease from ci@runner:41, an earlier attempt" in err
        assert "[cxops-lease" not in fake_description(fake, agent)
    else:
        assert "another apply holds the stage's lease: ci@runner:41" in err


def test_a_re_run_with_nothing_left_to_write_clears_its_earlier_attempts_lease(
    repo: tuple[Path, str], fake: FakeCX, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root, agent = repo
    assert cli(root, "apply", "stg", "--auto-approve") == 0
    leave_lease(fake, agent, ("555", 1))  # killed after its last write, before releasing
    github_attempt(monkeypatch, "555", 1)
    assert cli(root, "apply", "stg", "--auto-approve") == 0  # nothing to write: no lease needed
    assert "[cxops-lease" in fake_description(fake, agent)  # the same attempt does not clear it
    github_attempt(monkeypatch, "555", 2)
    capsys.readouterr()
    assert cli(root, "apply", "stg", "--auto-approve") == 0
    assert "took over the stage's lease from ci@runner:41" in capsys.readouterr().err
    assert "[cxops-lease" not in fake_description(fake, agent)
