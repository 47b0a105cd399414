"""Every row of the kinds table (cxops/model/kinds.py) reaches every consumer derived from it: a
kind missing from one (the package layout, the tree, the stand-in's collections, the API's
collections) fails here rather than being skipped silently."""

from __future__ import annotations

from typing import Any

import pytest

from cxops.fake import export as fake_export
from cxops.fake import kinds as fake_kinds
from cxops.model import kinds as K
from cxops.model.snapshot import AGENT_KEY, GENERATIVE_SETTINGS_KEY, Key, Snapshot
from cxops.package import desired, layout
from cxops.package.files import TOP_FOLDERS, in_export_folder, is_export_path
from cxops.package.reader import snapshot_from_package
from cxops.package.writer import package_files
from cxops.repo.tree import snapshot_from_tree, tree_files

# Content a kind keeps in files of its own, so that its side folders and attachment are written.
_CONTENT: dict[str, dict[str, Any]] = {
    "intent": {"training_phrases": {"en": ["hello there"]}},
    "entity_type": {
        "kind": "KIND_MAP",
        "entities": {"en": [{"value": "a", "synonyms": ["a", "b"]}]},
        "excluded_phrases": {"en": ["nope"]},
    },
    "generator": {"prompt_text": {"en": "Say $x"}},
    "tool": {"open_api_spec": {"text_schema": "openapi: 3.0.0\n"}},
    "playbook": {"goal": "help"},
}


def _one_of(kind: K.Kind) -> Snapshot:
    """An agent holding one resource of ``kind`` (and its scope)."""
    snapshot = Snapshot()
    snapshot.add(AGENT_KEY, {"display_name": "a", "default_language_code": "en", "time_zone": "UTC"})
    if kind is K.GENERATIVE_SETTINGS:
        snapshot.add(
            GENERATIVE_SETTINGS_KEY, {"en": {"generative_safety_settings": {}, "llm_model_settings": {}}}
        )
        return snapshot
    if kind is K.AGENT:
        return snapshot
    scope = ""
    if kind.scope is not None:
        scope = "Owner"
        snapshot.add(Key(kind.scope, "", scope), {"display_name": scope, **_CONTENT.get(kind.scope, {})})
    snapshot.add(Key(kind.name, scope, "Thing"), {"display_name": "Thing", **_CONTENT.get(kind.name, {})})
    return snapshot


@pytest.mark.parametrize("kind", list(K.KINDS.values()), ids=list(K.KINDS))
def test_each_kind_survives_the_package_and_the_tree(kind: K.Kind) -> None:
    snapshot = _one_of(kind)
    files = package_files(snapshot)
    for path in files:
        assert is_export_path(path), f"{path}: written but refused by the layout"
        assert path == layout.AGENT_FILE or in_export_folder(path)
    placed = {where.kind for path in files if (where := layout.place(path)) is not None}
    assert kind.name in placed
    if kind.side_folders or kind.attachment:
        folders = {path.split("/")[2] for path in files if path.count("/") == 3} | {
            path.rsplit("/", 1)[-1] for path in files if path.count("/") == 2 and not path.endswith(".json")
        }
        assert set(kind.side_folders) | ({kind.attachment} if kind.attachment else set()) <= folders
    back = snapshot_from_package(files)[0]
    assert list(back.resources) == list(snapshot.resources)
    again = snapshot_from_tree(tree_files(back))
    assert again.resources == back.resources


@pytest.mark.parametrize("kind", list(K.ALL_KINDS.values()), ids=list(K.ALL_KINDS))
def test_each_kind_with_a_collection_is_served_and_exported_where_it_should(kind: K.Kind) -> None:
    if kind.collection is None:
        assert kind.name not in desired.COLLECTION
        return
    served = fake_kinds.KINDS[kind.collection]
    assert served.message.DESCRIPTOR.name == kind.proto
    parent = "locations" if kind.parent is None else K.ALL_KINDS[kind.parent].collection
    assert parent in served.parents
    exported = kind.name in K.KINDS and kind is not K.AGENT
    assert (kind.collection in fake_export.EXPORTED) == exported
    assert (desired.COLLECTION.get(kind.name) == kind.collection) == exported


def test_scoped_kinds_live_in_a_folder_per_resource() -> None:
    """The layouts put a scoped kind inside its scope's own folder: the scope must have one."""
    for kind in K.KINDS.values():
        if kind.scope is not None:
            owner = K.KINDS[kind.scope]
            assert owner.own_folder and owner.tree_file, kind.name
    # A scoped kind's folder is never a top folder of its own (flows/<F>/transitionRouteGroups
    # is not the top-level transitionRouteGroups/, which CX never writes: FORMAT.md §1).
    assert "transitionRouteGroups" not in TOP_FOLDERS
    assert "pages" not in TOP_FOLDERS
