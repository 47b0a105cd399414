"""Contract: `cxops fake serve` as a process — address line, flags, clean stop saving --state."""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from conftest import PARENT, client
from google.api_core import exceptions as gexc
from google.cloud import dialogflowcx_v3 as cx

from cxops.fake import FakeCX

V3 = "google.cloud.dialogflow.cx.v3"
ROOT = Path(__file__).resolve().parents[1]


class Served:
    def __init__(self, proc: subprocess.Popen[str], address: str) -> None:
        self.proc, self.address = proc, address
        self.channel = grpc.insecure_channel(address)
        self.agents = client(cx.AgentsClient, self.channel)
        self.flows = client(cx.FlowsClient, self.channel)

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        self.channel.close()
        self.proc.send_signal(sig)
        try:
            _, err = self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
            pytest.fail(f"`cxops fake serve` did not stop on signal {sig}: {err}")
        return self.proc.returncode, err


@pytest.fixture
def serve() -> Iterator[Any]:
    started: list[Served] = []

    def start(*args: str) -> Served:
        env = {**os.environ, "GRPC_VERBOSITY": "ERROR", "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "cxops", "fake", "serve", "--port", "0", *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        line = proc.stdout.readline() if ready else ""
        match = re.fullmatch(r"CXOPS_EMULATOR_HOST=(127\.0\.0\.1:(\d+))\n", line)
        if not match:
            proc.kill()
            _, err = proc.communicate()
            pytest.fail(f"unexpected first line {line!r}; stderr: {err}")
        assert int(match.group(2)) > 0
        served = Served(proc, match.group(1))
        started.append(served)
        return served

    yield start
    for served in started:
        if served.proc.poll() is None:
            served.proc.kill()
            served.proc.communicate()


def new_agent(agents: cx.AgentsClient) -> cx.Agent:
    return agents.create_agent(
        parent=PARENT,
        agent=cx.Agent(display_name="Served", default_language_code="en", time_zone="Europe/Paris"),
    )


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_saves_state_on_signal_and_a_fake_loads_it(serve: Any, tmp_path: Path, sig: int) -> None:
    state = tmp_path / "state.json"
    served = serve("--state", str(state))
    agent = new_agent(served.agents)
    flow = served.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="Billing"))
    assert not state.exists()
    code, err = served.stop(sig)
    assert code == 0, err
    assert state.exists()
    with FakeCX(state_file=state) as fake, grpc.insecure_channel(fake.address) as channel:
        assert client(cx.FlowsClient, channel).get_flow(name=flow.name).display_name == "Billing"


def test_serve_loads_a_state_file(serve: Any, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with FakeCX(state_file=state) as fake, grpc.insecure_channel(fake.address) as channel:
        agent = new_agent(client(cx.AgentsClient, channel))
    served = serve("--state", str(state))
    assert served.agents.get_agent(name=agent.name).display_name == "Served"
    served.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="Added"))
    assert served.stop()[0] == 0
    with FakeCX(state_file=state) as fake, grpc.insecure_channel(fake.address) as channel:
        listed = client(cx.FlowsClient, channel).list_flows(parent=agent.name)
        assert [f.display_name for f in listed] == ["Default Start Flow", "Added"]


def test_serve_knobs_from_flags(serve: Any, tmp_path: Path) -> None:
    log = tmp_path / "calls.jsonl"
    served = serve(
        "--calls-log",
        str(log),
        "--seed",
        "3",
        "--latency-ms",
        "100",
        "--reads-per-minute",
        "2",
        "--fail",
        "CreateFlow=UNAVAILABLE:1:after",
        "--fail",
        "DeleteFlow=INTERNAL",
    )
    start = time.perf_counter()
    agent = new_agent(served.agents)
    assert time.perf_counter() - start >= 0.1  # --latency-ms

    with pytest.raises(gexc.ServiceUnavailable):  # --fail ...:after: written, yet failed
        served.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name="F"))
    (flow,) = [f for f in served.flows.list_flows(parent=agent.name) if f.display_name == "F"]
    with pytest.raises(gexc.InternalServerError):
        served.flows.delete_flow(name=flow.name)
    served.flows.get_flow(name=flow.name)
    with pytest.raises(gexc.ResourceExhausted):  # --reads-per-minute 2: the third read
        served.flows.get_flow(name=flow.name)
    assert served.stop()[0] == 0

    lines = [json.loads(line) for line in log.read_text().splitlines()]
    assert all(set(line) == {"time", "method", "resource", "status"} for line in lines)
    assert [(line["method"].rsplit("/", 1)[-1], line["status"]) for line in lines] == [
        ("CreateAgent", "OK"),
        ("CreateFlow", "UNAVAILABLE"),
        ("ListFlows", "OK"),
        ("DeleteFlow", "INTERNAL"),
        ("GetFlow", "OK"),
        ("GetFlow", "RESOURCE_EXHAUSTED"),
    ]
    assert lines[0]["method"] == f"/{V3}.Agents/CreateAgent"
    assert lines[0]["resource"] == PARENT


def test_serve_seeds_give_reproducible_names_and_list_order(serve: Any) -> None:
    runs = []
    for _ in range(2):
        served = serve("--seed", "11", "--shuffle-seed", "5")
        agent = new_agent(served.agents)
        created = [
            served.flows.create_flow(parent=agent.name, flow=cx.Flow(display_name=f"f{i}")).display_name
            for i in range(12)
        ]
        listed = [f.display_name for f in served.flows.list_flows(parent=agent.name)]
        assert sorted(listed) == sorted([*created, "Default Start Flow"])
        assert listed != ["Default Start Flow", *created]
        runs.append((agent.name, listed))
        assert served.stop()[0] == 0
    assert runs[0] == runs[1]


@pytest.mark.parametrize(
    "args",
    [
        pytest.param(["--fail", "CreateFlow=BOGUS"], id="unknown-code"),
        pytest.param(["--fail", "CreateFlow"], id="no-code"),
        pytest.param(["--fail", "CreateFlow=UNAVAILABLE:x"], id="bad-count"),
    ],
)
def test_serve_rejects_bad_flags(args: list[str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cxops", "fake", "serve", "--port", "0", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert "--fail" in done.stderr
    assert "CXOPS_EMULATOR_HOST" not in done.stdout


def test_serve_starts_with_every_stages_agent(tmp_path: Path, serve: Any) -> None:
    import shutil

    shutil.copytree(ROOT / "agents", tmp_path / "agents")
    shutil.copytree(ROOT / "environments", tmp_path / "environments")
    served = serve("--agents-from", str(tmp_path / "environments"))
    for stage in ("dev", "stg", "prd"):
        found = list(served.agents.list_agents(parent=f"projects/cxops-demo-{stage}/locations/global"))
        assert [a.display_name for a in found] == [f"Order Desk ({stage})"]
    assert served.stop()[0] == 0
