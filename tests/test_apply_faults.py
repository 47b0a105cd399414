"""Faults: 10% of writes fail UNAVAILABLE (half after they committed) and a write quota answers
RESOURCE_EXHAUSTED; apply completes, converges, and never writes faster than the stage allows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxops.fake import FakeCX
from cxops.stage.config import load_stage
from cxops.workflows.apply import run
from cxops.workflows.planning import plan_stage
from tests.stagerepo import SECRET_ENV, SECRET_VALUE, SECRETS, empty_agent, sample_repo, stage_file

PROJECT = "acme-bots-stg"
WRITES_PER_MINUTE = 3000  # 50 a second: one write every 20 ms


def test_apply_rides_out_faults_within_the_write_rate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET_VALUE)
    log = tmp_path / "calls.jsonl"
    with FakeCX(seed=3, calls_log=log) as fake:
        import grpc
        from google.cloud import dialogflowcx_v3 as cx

        from tests.conftest import client  # the fixture's fake is another server: build clients here

        channel = grpc.insecure_channel(fake.address)

        class Clients:
            agents = client(cx.AgentsClient, channel)

        sample_repo(tmp_path)
        agent = empty_agent(Clients, PROJECT, ["en", "ja"])
        stage_file(
            tmp_path,
            "stg",
            "order-desk",
            PROJECT,
            agent,
            SECRETS + f"rate_limits: {{writes_per_minute: {WRITES_PER_MINUTE}}}\n",
        )
        plan = plan_stage(tmp_path, "stg", None, fake.address, None)
        # The server's own quota is below the stage's setting: some writes are told to wait.
        fake.set_quota(writes_per_minute=10, window=1.0)
        fake.fail_writes_at_random(0.10, "UNAVAILABLE", seed=11)
        fake.reset_calls()
        run(tmp_path, load_stage(tmp_path, "stg"), plan, fake.address, None)
        fake.clear_faults()
        fake.set_quota()
        assert not plan_stage(tmp_path, "stg", None, fake.address, None)
        channel.close()
    writes = [json.loads(line) for line in log.read_text().splitlines()]
    writes = [
        w
        for w in writes
        if w["method"].rsplit("/", 1)[-1].startswith(("Create", "Update", "Delete", "BatchDelete", "Restore"))
    ]
    statuses = {w["status"] for w in writes}
    assert {"UNAVAILABLE", "RESOURCE_EXHAUSTED", "OK"} <= statuses
    assert len(writes) > len(plan.writes)  # retries happened, and apply still converged (above)
    # Never more than the stage's rate: at most 50 write attempts in any one-second window (+1
    # for the window's edge).
    times = sorted(w["time"] for w in writes)
    per_second = WRITES_PER_MINUTE / 60
    j = 0
    for i, start in enumerate(times):
        while times[j] < start - 1.0:
            j += 1
        assert i - j + 1 <= per_second + 1
