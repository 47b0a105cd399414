"""Test cases: expectations that name what no longer exists, and flows no test case enters."""

from __future__ import annotations

from collections.abc import Iterator

from cxops.core.lint.index import Index
from cxops.core.lint.registry import Hit, Params, Severity, rule
from cxops.model.proto import SPECIAL_PAGE_IDS, SPECIAL_TARGETS
from cxops.model.snapshot import walk

_SPECIAL = SPECIAL_PAGE_IDS | frozenset(SPECIAL_TARGETS)


@rule(
    "testcases/missing-target",
    Severity.error,
    "A test case expecting a page, intent or flow that does not exist.",
)
def missing_target(index: Index, params: Params) -> Iterator[Hit]:
    intents, flows = index.names("intent"), index.names("flow")
    for key, body in index.of_kind("test_case"):
        for path, obj in walk(body):
            page = obj.get("current_page")
            if isinstance(page, dict) and isinstance(page.get("name"), str):
                name, flow = page["name"], page.get("flow")
                if isinstance(flow, str) and flow not in flows:
                    yield Hit(key, (*path, "current_page", "flow"), f"expected flow {flow!r} does not exist")
                elif isinstance(flow, str) and name not in _SPECIAL and name not in index.pages.get(flow, {}):
                    yield Hit(
                        key,
                        (*path, "current_page", "name"),
                        f"expected page {name!r} of flow {flow!r} does not exist",
                    )
            intent = obj.get("triggered_intent")
            if (
                isinstance(intent, dict)
                and isinstance(intent.get("name"), str)
                and intent["name"] not in intents
            ):
                yield Hit(
                    key,
                    (*path, "triggered_intent", "name"),
                    f"expected intent {intent['name']!r} does not exist",
                )
        config = body.get("test_config")
        if isinstance(config, dict) and isinstance(config.get("flow"), str) and config["flow"] not in flows:
            yield Hit(key, ("test_config", "flow"), f"test config flow {config['flow']!r} does not exist")


@rule("testcases/untested-flow", Severity.note, "A flow that no test case enters.")
def untested_flow(index: Index, params: Params) -> Iterator[Hit]:
    entered: set[str] = set()
    for _, body in index.of_kind("test_case"):
        for _, obj in walk(body):
            page = obj.get("current_page")
            if isinstance(page, dict) and isinstance(page.get("flow"), str):
                entered.add(page["flow"])
        config = body.get("test_config")
        if isinstance(config, dict) and isinstance(config.get("flow"), str):
            entered.add(config["flow"])
    for key, _ in index.of_kind("flow"):
        if key.name not in entered:
            yield Hit(key, ("display_name",), f"flow {key.name!r} is entered by no test case")
