"""Stage overrides: put into a copy of the tree (never into the tree itself), taken out on pull."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from cxops.errors import ConfigError
from cxops.model.snapshot import Key, Snapshot
from cxops.stage import overrides
from cxops.stage.config import parse_stage

HOOK = Key("webhook", "", "orders-api")
INTENT = Key("intent", "", "order.status")


def tree() -> Snapshot:
    snapshot = Snapshot()
    snapshot.add(HOOK, {"display_name": "orders-api", "generic_web_service": {"uri": "https://dev/cx"}})
    snapshot.add(INTENT, {"display_name": "order.status", "priority": 1})
    return snapshot


def stage(extra: str) -> object:
    text = f"agent: orders\nproject: acme-bots-stg\nagent_id: x1\n{extra}"
    return parse_stage(text, "stg", "environments/stg.yaml", Path("."))


STG = "overrides:\n  webhooks/orders-api:\n    generic_web_service.uri: https://stg/cx\n"


def test_apply_puts_the_values_into_a_copy_and_leaves_the_tree_alone() -> None:
    source = tree()
    before = copy.deepcopy(source.resources)
    out = overrides.apply(source, stage(STG))
    assert out.resources[HOOK]["generic_web_service"]["uri"] == "https://stg/cx"
    assert source.resources == before  # the tree's snapshot is untouched
    assert out.resources[INTENT] is source.resources[INTENT]  # what no override touches is shared


def test_an_override_of_a_resource_the_tree_lacks_names_the_stage_line() -> None:
    with pytest.raises(
        ConfigError, match=r"environments/stg.yaml:5: overrides.webhooks/gone: webhook gone is not in"
    ):
        overrides.apply(tree(), stage("overrides:\n  webhooks/gone:\n    timeout.seconds: 3\n"))


def test_remove_gives_the_tree_value_back_and_keeps_a_live_change() -> None:
    live = overrides.apply(tree(), stage(STG))
    kept = overrides.remove(live, stage(STG), tree())
    assert live.resources[HOOK]["generic_web_service"]["uri"] == "https://dev/cx" and not kept
    live.resources[HOOK]["generic_web_service"]["uri"] = "https://edited-in-console/cx"
    [note] = overrides.remove(live, stage(STG), tree())
    assert note.where == "overrides.webhooks/orders-api.generic_web_service.uri"
