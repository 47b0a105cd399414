"""Every corpus agent: import, package, import again; and the package against the original."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cxops.package.reader import snapshot_from_package
from cxops.package.writer import package_files
from tests.corpus import agent_dirs, read_export

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
