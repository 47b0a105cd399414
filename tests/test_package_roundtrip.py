"""Every corpus agent: import, package, import again; and the package against the original."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cxops.model.proto import V3
from cxops.model.snapshot import GENERATIVE_SETTINGS_KEY
from cxops.package import codec
from cxops.package.reader import snapshot_from_package
from cxops.package.writer import package_files
from tests.corpus import CORPUS, agent_dirs, read_export

# What a package written by cxops does not reproduce, as documented in docs/tree-format.md:
# server ids (cxops derives its own from keys), volatile timestamps and derived counts, the
# export-only training-phrase flag ``auto``, the NLU settings' server ``customConfigKey`` and the split of plain text into several parts.
VOLATILE_KEYS = {
    "creationTime",
    "createTime",
    "numTrainingPhrases",
    "auto",
    "tokenCount",
    "lastTestResult",
    "referencedPlaybooks",
    "referencedFlows",
    "toolType",
    "customConfigKey",
}
# ``name`` is a UUID on resources, routes and handlers; elsewhere it is a display name or an id.
NAME_IS_DATA_UNDER = {
    "triggeredIntent",
    "currentPage",
    "currentFlow",
    "inputParameterDefinitions",
    "outputParameterDefinitions",
    "parameterType",
    "placeholders",
}


def documented_form(value: Any, ids: dict[str, str], parent: str = "") -> Any:
    """A package file as far as cxops promises to reproduce it."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in VOLATILE_KEYS or (key == "name" and parent not in NAME_IS_DATA_UNDER):
                continue
            if key == "id" and parent == "trainingPhrases":
                continue
            if key == "projectNumber":
                continue
            item = documented_form(item, ids, key)
            if item in ({}, [], "", False, 0, None):
                continue  # defaults and empty values are not carried
            out[key] = item
        if isinstance(out.get("parts"), list):
            merged: list[Any] = []
            for part in out["parts"]:
                if merged and "parameterId" not in part and "parameterId" not in merged[-1]:
                    merged[-1] = {"text": merged[-1].get("text", "") + part.get("text", "")}
                else:
                    merged.append(part)
            out["parts"] = merged
        return out
    if isinstance(value, list):
        items = [documented_form(v, ids, parent) for v in value]
        if items and all(isinstance(i, dict) and "languageCode" in i for i in items):
            # Messages of several languages are written default language first.
            items.sort(key=lambda i: str(i["languageCode"]))
        return items
    if isinstance(value, str) and value.startswith("projects/"):
        # Resource-path references (older exports, generators) become the display name they name.
        collection, rid = value.split("/")[-2:]
        # One that names nothing in the export is kept relative to the agent.
        return ids.get(f"{collection}/{rid}", "/".join(value.split("/")[6:]))
    return value


def export_ids(files: dict[str, bytes]) -> dict[str, str]:
    """``<collection>/<uuid>`` -> display name (ids repeat across collections: 00000000-…)."""
    ids = {}
    for path, data in files.items():
        if path.endswith(".json"):
            obj = json.loads(data)
            name, display = (
                (obj.get("name"), obj.get("displayName")) if isinstance(obj, dict) else (None, None)
            )
            if isinstance(name, str) and isinstance(display, str):
                ids[f"{path.split('/')[0]}/{name}"] = display
    return ids


@pytest.mark.parametrize("folder", agent_dirs())
def test_import_package_import_gives_the_same_snapshot(folder: Path) -> None:
    files = read_export(folder)
    snapshot, _ = snapshot_from_package(files)
    packaged = package_files(snapshot)
    again, _ = snapshot_from_package(packaged)
    assert again.resources == snapshot.resources
    assert package_files(again) == packaged  # the same snapshot gives the same bytes


@pytest.mark.parametrize("folder", agent_dirs())
def test_package_equals_the_original_export_but_for_documented_fields(folder: Path) -> None:
    files = read_export(folder)
    snapshot, _ = snapshot_from_package(files)
    packaged = package_files(snapshot)
    ids = export_ids(files)
    ours = export_ids(packaged)
    assert sorted(packaged) == sorted(files)
    for path, original in files.items():
        if not path.endswith(".json"):
            assert packaged[path] == original, path
            continue
        expected = documented_form(json.loads(original), ids)
        # Paths inside export-only subtrees are carried verbatim: they still name the original ids.
        actual = documented_form(json.loads(packaged[path]), {**ids, **ours})
        assert actual == expected, path


def test_llm_parameters_are_settings_in_tree_form_and_round_trip_exactly() -> None:
    # LlmModelSettings.parameters is v3beta1's LlmModelSettings.Parameters, not user data: the
    # tree writes its keys as fields and its float32 temperature without the export's noise.
    folder = CORPUS / "mohitgour08__dialogflowcx"
    if not folder.is_dir():
        pytest.skip(f"corpus agent not found at {folder}")
    files = read_export(folder)
    settings = json.loads(files["generativeSettings/en.json"])
    settings["llmModelSettings"]["parameters"]["temperature"] = 0.89999998  # float32 of 0.9
    files["generativeSettings/en.json"] = json.dumps(settings, indent=2).encode()
    snapshot, _ = snapshot_from_package(files)
    body = snapshot.resources[GENERATIVE_SETTINGS_KEY]
    assert body["en"]["llm_model_settings"]["parameters"] == {
        "temperature": 0.9,
        "input_token_limit": "INPUT_TOKEN_LIMIT_LONG",
        "output_token_limit": "OUTPUT_TOKEN_LIMIT_SHORT",
    }
    packaged = json.loads(package_files(snapshot)["generativeSettings/en.json"])
    assert packaged["llmModelSettings"] == settings["llmModelSettings"]
    assert snapshot_from_package(package_files(snapshot))[0].resources == snapshot.resources


def test_a_tool_calls_parameters_stay_the_authors_data() -> None:
    # v3beta1 types these as free-form JSON: kept verbatim, keys and digits as written.
    ctx = codec.Context(default_language="en", languages=["en"])
    data = {"orderId": "A1", "weight": 0.30000001}
    for owner, key in ((f"{V3}.ToolUse", "input_parameters"), (f"{V3}.PlaybookInput", "action_parameters")):
        assert codec.decode_export_only(key, data, ctx, owner) == data
        assert codec.encode_export_only(key, data, owner) == data
