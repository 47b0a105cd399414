"""Issue 25 mutation score: for each corpus agent with test cases, seed mutations on what its
tests traverse and count how many turn a passed or undecided test into a failed one.

    .venv/bin/python -m bench.runtime_mutations [--per-kind N]

Three kinds, each found from the test cases' own recorded turns, so every mutation touches
something a test reaches:
- ``target``: a route whose target page is a page a test records; it is sent to another page
  of the same flow.
- ``message``: a fulfillment text a test records as an agent response; its words change.
- ``phrase``: a training phrase equal (case-folded) to a test utterance; it is removed.

A mutation is caught when some test that passed or was undecided on the unmutated agent fails.
Prints per agent and kind caught/seeded, then one JSON line.
"""

from __future__ import annotations

import argparse
import itertools
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
from google.cloud import dialogflowcx_v3 as cx
from google.protobuf import json_format

from bench.runtime_corpus import corpus_agents, restored
from cxops.core import testresults as tr
from cxops.fake import FakeCX

Files = dict[str, bytes]
KINDS = ("target", "message", "phrase")
_runs = itertools.count(1)


def _dict(message: Any) -> dict[str, Any]:
    return json_format.MessageToDict(type(message).pb(message), preserving_proto_field_name=True)


def outcomes(files: Files, channel: grpc.Channel, label: str) -> dict[str, str]:
    """Test case display name -> passed | failed | undecided | error, on a fresh agent."""
    # Each run on its own agent: display names are unique in a location.
    agent, tests = restored(files, channel, f"{label[:50]} {next(_runs)}")
    cases = {c.name: tests.get_test_case(name=c.name) for c in tests.list_test_cases(parent=agent)}
    response = tests.batch_run_test_cases(
        request=cx.BatchRunTestCasesRequest(parent=agent, test_cases=list(cases))
    ).result()
    out = {}
    for result in response.results:
        case = cases[result.name.split("/results/")[0]]
        full = tests.get_test_case_result(name=result.name)
        out[case.display_name] = tr.case_result(_dict(case), _dict(full), {}, "", offline=True).outcome
    return out


def _json(files: Files, path: str) -> Any:
    return json.loads(files[path])


def _recorded(files: Files) -> tuple[set[str], set[str], set[str]]:
    """Pages, agent texts and user utterances the test cases record."""
    pages: set[str] = set()
    texts: set[str] = set()
    said: set[str] = set()
    for path in files:
        if not path.startswith("testCases/"):
            continue
        for turn in _json(files, path).get("testCaseConversationTurns", []):
            out = turn.get("virtualAgentOutput", {})
            page = out.get("currentPage", {}).get("name")
            if page:
                pages.add(page)
            for response in out.get("textResponses", []):
                texts.update(response.get("text", []))
            text = turn.get("userInput", {}).get("input", {}).get("text", {}).get("text")
            if text:
                said.add(text.strip().casefold())
    return pages, texts, said


def _route_holders(files: Files) -> Iterator[tuple[str, Any]]:
    for path in sorted(files):
        if path.endswith(".json") and path.startswith("flows/") and "/transitionRouteGroups/" not in path:
            yield path, _json(files, path)


def _fulfillments(data: Any) -> Iterator[Any]:
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("triggerFulfillment", "entryFulfillment", "initialPromptFulfillment"):
                yield value
            yield from _fulfillments(value)
    elif isinstance(data, list):
        for item in data:
            yield from _fulfillments(item)


def mutations(files: Files, per_kind: int) -> Iterator[tuple[str, str, Files]]:
    pages, texts, said = _recorded(files)
    seeded = Counter[str]()
    for path, data in _route_holders(files):
        for i, route in enumerate(data.get("transitionRoutes", [])):
            target = route.get("targetPage")
            if seeded["target"] >= per_kind or target not in pages:
                continue
            flow = path.split("/")[1]
            others = sorted(
                _json(files, p).get("displayName", "")
                for p in files
                if p.startswith(f"flows/{flow}/pages/") and p.endswith(".json")
            )
            other = next((o for o in others if o and o != target), None)
            if other is None:
                continue
            changed = json.loads(files[path])
            changed["transitionRoutes"][i]["targetPage"] = other
            seeded["target"] += 1
            yield (
                "target",
                f"{path} route {i + 1}: {target} -> {other}",
                {**files, path: json.dumps(changed).encode()},
            )
    for path in sorted(p for p in files if p.startswith(("flows/",)) and p.endswith(".json")):
        if seeded["message"] >= per_kind:
            break
        data = _json(files, path)
        for fulfillment in _fulfillments(data):
            hit = next(
                (
                    m
                    for m in fulfillment.get("messages", [])
                    if set(m.get("text", {}).get("text", [])) & texts
                ),
                None,
            )
            if hit is not None:
                hit["text"]["text"] = [f"{t} (mutated)" for t in hit["text"]["text"]]
                seeded["message"] += 1
                yield "message", f"{path}: a recorded text", {**files, path: json.dumps(data).encode()}
                break
    for path in sorted(p for p in files if "/trainingPhrases/" in p):
        if seeded["phrase"] >= per_kind:
            break
        data = _json(files, path)
        phrases = data.get("trainingPhrases", [])
        keep = [
            p
            for p in phrases
            if "".join(x.get("text", "") for x in p["parts"]).strip().casefold() not in said
        ]
        if len(keep) < len(phrases):
            data["trainingPhrases"] = keep
            seeded["phrase"] += 1
            yield (
                "phrase",
                f"{path}: {len(phrases) - len(keep)} phrase(s) said in a test",
                {
                    **files,
                    path: json.dumps(data).encode(),
                },
            )


def measure(folder: Path, channel: grpc.Channel, per_kind: int) -> dict[str, list[int]]:
    files = {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }
    base = outcomes(files, channel, folder.name)
    standing = {name for name, outcome in base.items() if outcome in (tr.PASSED, tr.UNDECIDED)}
    score: dict[str, list[int]] = {kind: [0, 0] for kind in KINDS}
    for kind, _what, mutated in mutations(files, per_kind):
        after = outcomes(mutated, channel, folder.name)
        score[kind][1] += 1
        if any(after.get(name) in (tr.FAILED, tr.ERROR) for name in standing):
            score[kind][0] += 1
    return score


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--per-kind", type=int, default=3)
    args = parser.parse_args(argv)
    folders = corpus_agents()
    if not folders:
        print("no corpus with test cases")
        return 0
    rows: dict[str, dict[str, list[int]]] = {}
    with FakeCX(seed=1) as fake:
        channel = grpc.insecure_channel(fake.address, options=[("grpc.max_receive_message_length", -1)])
        try:
            for folder in folders:
                try:
                    rows[folder.name] = measure(folder, channel, args.per_kind)
                except grpc.RpcError as failure:
                    print(f"{folder.name}: skipped ({failure.code().name})")
        finally:
            channel.close()
    print(f"{'agent':44} " + " ".join(f"{k:>9}" for k in KINDS) + "  caught/seeded")
    for agent, score in rows.items():
        print(f"{agent:44} " + " ".join(f"{c:>4}/{n:<4}" for c, n in score.values()))
    caught = sum(s[k][0] for s in rows.values() for k in KINDS)
    seeded = sum(s[k][1] for s in rows.values() for k in KINDS)
    print(f"{'all':44} caught {caught} of {seeded}")
    print(json.dumps({"agents": rows, "caught": caught, "seeded": seeded}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
