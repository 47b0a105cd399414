"""Issue 11 and 25 figures: the corpus agents that carry test cases, run offline on the
stand-in's conversation runtime — how many pass, fail and stay undecided (per cause), the share
of assertions decided, and why the failures fail, per failure class.

    .venv/bin/python -m bench.runtime_corpus [--examples N]

Each agent's export is restored into a fresh stand-in agent (RestoreAgent, through the client)
and its test cases run with one BatchRunTestCases. A failing test counts once, under the class
of its first difference or error. Prints a table per agent, then N example lines per class,
then one JSON line with the counts.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from google.cloud import dialogflowcx_v3 as cx
from google.protobuf import json_format

from cxops.core import testresults as tr
from cxops.fake import FakeCX
from cxops.package.desired import languages_of
from cxops.package.files import write_zip
from cxops.package.reader import snapshot_from_package
from cxops.package.writer import package_files

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
PARENT = "projects/bench/locations/global"

# What each failure class means: what real CX does that the runtime does not (or the test case's).
WHY = {
    "INTENT: no-match": "real NLU generalises beyond the training phrases (ML model); the token overlap does not",
    "INTENT: other intent": "the overlap score ranks another intent in scope first",
    "PAGE": "an earlier miss (intent or parameter) sent the conversation elsewhere",
    "PARAMETERS": "a value real NLU extracts (system entity outside the subset, fuzzy match) is missing or differs",
    "UTTERANCE": "responses differ: a webhook the stand-in cannot call, or an earlier miss",
    "error: unsupported condition": "a condition uses $sys.func or another construct outside the subset",
    "error: unsupported entity": "a system entity outside the documented subset",
    "error: loop": "condition routes go round without end, where a webhook the stand-in skips would set the way out",
    "error: playbook start": "the agent starts with a playbook; the runtime models flows only",
    "error: other": "the runtime could not run the turn",
    "restore failed": "the export cannot be restored into the stand-in",
}


def corpus_agents() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    return [
        d
        for d in sorted(CORPUS.iterdir())
        if (d / "agent.json").is_file() and (d / "testCases").is_dir() and any((d / "testCases").iterdir())
    ]


@dataclass
class Row:
    agent: str
    cases: int = 0
    passed: int = 0
    failed: int = 0
    undecided: int = 0
    causes: Counter[str] = field(default_factory=Counter)  # undecided tests per cause
    decided: int = 0  # assertions
    held: int = 0  # undecided assertions
    classes: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)


def classify(result: cx.TestCaseResult) -> tuple[str, str]:
    for i, turn in enumerate(result.conversation_turns, 1):
        out = turn.virtual_agent_output
        if out.status.code:
            message = out.status.message
            if "transitions in one turn" in message:
                kind = "error: loop"
            elif "playbook" in message:
                kind = "error: playbook start"
            elif "condition" in message:
                kind = "error: unsupported condition"
            elif "is not modelled" in message and "@sys" in message:
                kind = "error: unsupported entity"
            else:
                kind = "error: other"
            return kind, f"turn {i}: {message}"
        for diff in out.differences:
            kind = diff.type_.name
            if kind == "INTENT":
                kind += ": no-match" if "no-match" in diff.description else ": other intent"
            return kind, f"turn {i}: {diff.description}"
    return "error: other", "failed without a difference"


def restored(files: dict[str, bytes], channel: grpc.Channel, label: str) -> tuple[str, cx.TestCasesClient]:
    """A new stand-in agent restored from an export's files (RestoreAgent, through the client),
    and a test cases client."""
    snapshot, _ = snapshot_from_package(files)
    languages = languages_of(snapshot)
    agents = cx.AgentsClient(transport=cx.AgentsClient.get_transport_class("grpc")(channel=channel))
    tests = cx.TestCasesClient(transport=cx.TestCasesClient.get_transport_class("grpc")(channel=channel))
    agent = agents.create_agent(
        parent=PARENT,
        agent=cx.Agent(
            display_name=label[:60],
            default_language_code=languages[0],
            supported_language_codes=languages[1:],
            time_zone="UTC",
        ),
    )
    agents.restore_agent(
        request=cx.RestoreAgentRequest(name=agent.name, agent_content=write_zip(package_files(snapshot)))
    ).result()
    return agent.name, tests


def measure(folder: Path, channel: grpc.Channel) -> Row:
    row = Row(folder.name)
    files = {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }
    try:
        agent, tests = restored(files, channel, folder.name)
    except Exception as failure:
        row.classes["restore failed"] += 1
        row.examples["restore failed"] = [re.sub(r"\s+", " ", str(failure))[:200]]
        return row
    cases = list(tests.list_test_cases(parent=agent))
    row.cases = len(cases)
    response = tests.batch_run_test_cases(
        request=cx.BatchRunTestCasesRequest(parent=agent, test_cases=[c.name for c in cases])
    ).result()
    # ListTestCases gives the basic view (no turns): read each test case in full.
    by_name = {c.name: tests.get_test_case(name=c.name) for c in cases}
    for result in response.results:
        case = by_name[result.name.split("/results/")[0]]
        # BatchRunTestCasesResponse.results carry no turns (v3 reference): read each in full.
        result = tests.get_test_case_result(name=result.name)
        verdict = tr.case_result(_dict(case), _dict(result), {}, "no result", offline=True)
        row.decided += verdict.decided
        row.held += sum(verdict.undecided.values())
        if verdict.outcome == tr.PASSED:
            row.passed += 1
            continue
        if verdict.outcome == tr.UNDECIDED:
            row.undecided += 1
            row.causes.update(verdict.undecided.keys())
            continue
        row.failed += 1
        kind, example = classify(result)
        row.classes[kind] += 1
        row.examples.setdefault(kind, []).append(example[:200])
    return row


def _dict(message: object) -> dict[str, object]:
    return json_format.MessageToDict(type(message).pb(message), preserving_proto_field_name=True)  # type: ignore[attr-defined]


def measure_all(folders: list[Path] | None = None) -> list[Row]:
    with FakeCX(seed=1) as fake:
        channel = grpc.insecure_channel(fake.address, options=[("grpc.max_receive_message_length", -1)])
        try:
            return [measure(folder, channel) for folder in (folders or corpus_agents())]
        finally:
            channel.close()


def _share(decided: int, held: int) -> str:
    return f"{decided / (decided + held):.0%}" if decided + held else "-"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--examples", type=int, default=2)
    args = parser.parse_args(argv)
    rows = measure_all()
    if not rows:
        print(f"no corpus with test cases at {CORPUS}")
        return 0
    print(
        f"{'agent':44} {'cases':>5} {'pass':>5} {'fail':>5} {'undec':>5} {'decided':>7}  undecided by cause"
    )
    for row in rows:
        causes = ", ".join(f"{k} {n}" for k, n in row.causes.most_common()) or "-"
        print(
            f"{row.agent:44} {row.cases:5} {row.passed:5} {row.failed:5} {row.undecided:5}"
            f" {_share(row.decided, row.held):>7}  {causes}"
        )
    total = Counter[str]()
    for row in rows:
        total.update(row.classes)
    decided, held = sum(r.decided for r in rows), sum(r.held for r in rows)
    print(
        f"{'all':44} {sum(r.cases for r in rows):5} {sum(r.passed for r in rows):5}"
        f" {sum(r.failed for r in rows):5} {sum(r.undecided for r in rows):5} {_share(decided, held):>7}"
    )
    print()
    print("failures by class:")
    for kind, n in total.most_common():
        print(f"{kind} ({n}): {WHY[kind]}")
        shown = [f"{r.agent}: {e}" for r in rows for e in r.examples.get(kind, [])][: args.examples]
        for line in shown:
            print(f"    {line}")
    print(
        json.dumps(
            {
                "agents": {
                    r.agent: {
                        "cases": r.cases,
                        "passed": r.passed,
                        "failed": r.failed,
                        "undecided": r.undecided,
                        "undecided_causes": dict(r.causes),
                        "assertions_decided": r.decided,
                        "assertions_undecided": r.held,
                        **r.classes,
                    }
                    for r in rows
                },
                "cases": sum(r.cases for r in rows),
                "passed": sum(r.passed for r in rows),
                "failed": sum(r.failed for r in rows),
                "undecided": sum(r.undecided for r in rows),
                "assertions_decided_share": round(decided / max(1, decided + held), 3),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
