"""bench/env_bench.py's figures hold: a 10-flow change to an environment stage is one
CreateVersion per flow + one UpdateEnvironment (+ the lease), and its rollback one write call."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.env_bench import SECRET_ENV, measure
from cxops.fake import FakeCX


def test_ten_flow_change_costs_one_version_each_and_one_environment_update(
    fake: FakeCX, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CXOPS_EMULATOR_HOST", fake.address)
    monkeypatch.setenv(SECRET_ENV, "bench-secret")
    monkeypatch.setenv("CXOPS_AUTHOR", "bench")
    assert measure(tmp_path, fake) == {
        "flows_changed": 10,
        "create_version": 10,
        "update_environment": 1,
        "write_calls": 13,
        "lease_write_calls": 2,
        "long_running_operations": 11,
        "rollback_write_calls": 1,
    }
