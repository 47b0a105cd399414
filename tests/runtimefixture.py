"""The sample agent (or any snapshot) restored into a fresh stand-in agent, through the client."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from google.cloud import dialogflowcx_v3 as cx

from cxops.model.snapshot import Snapshot
from cxops.package.files import write_zip
from cxops.package.writer import package_files
from cxops.repo.tree import read_tree

SAMPLE = Path(__file__).resolve().parents[1] / "agents" / "order-desk"
PARENT = "projects/test-project/locations/global"
_numbers = itertools.count(1)


def restore_snapshot(clients: Any, snapshot: Snapshot, languages: tuple[str, ...] = ("en", "ja")) -> str:
    agent = clients.agents.create_agent(
        parent=PARENT,
        agent=cx.Agent(
            display_name=f"Runtime {next(_numbers)}",  # several agents may share one stand-in
            default_language_code=languages[0],
            supported_language_codes=list(languages[1:]),
            time_zone="Asia/Tokyo",
        ),
    )
    clients.agents.restore_agent(
        request=cx.RestoreAgentRequest(name=agent.name, agent_content=write_zip(package_files(snapshot)))
    ).result()
    return str(agent.name)


def sample_snapshot() -> Snapshot:
    return read_tree(SAMPLE)


def run_all(clients: Any, agent: str) -> list[tuple[str, cx.TestCaseResult]]:
    """Every test case of the agent run with BatchRunTestCases: (display name, result)."""
    cases = list(
        clients.test_cases.list_test_cases(
            request=cx.ListTestCasesRequest(parent=agent, view=cx.ListTestCasesRequest.TestCaseView.FULL)
        )
    )
    response = clients.test_cases.batch_run_test_cases(
        request=cx.BatchRunTestCasesRequest(parent=agent, test_cases=[c.name for c in cases])
    ).result()
    names = {c.name: c.display_name for c in cases}
    return [(names[r.name.rsplit("/results/", 1)[0]], r) for r in response.results]


def describe(result: cx.TestCaseResult) -> list[str]:
    """The differences and errors of a result, one line each, with the turn number."""
    lines = []
    for i, turn in enumerate(result.conversation_turns, 1):
        out = turn.virtual_agent_output
        if out.status.code:
            lines.append(f"turn {i}: {out.status.message}")
        lines.extend(f"turn {i}: {d.type_.name}: {d.description}" for d in out.differences)
    return lines
