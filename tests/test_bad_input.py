"""Broken packages and trees: never a traceback, always one error that names the file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxops.cli.main import main
from cxops.core.validate import validate
from cxops.errors import CxopsError
from cxops.model import secrets
from cxops.package.reader import snapshot_from_package
from cxops.package.writer import package_files
from cxops.repo.tree import snapshot_from_tree, tree_files

AGENT = {
    "displayName": "Orders",
    "defaultLanguageCode": "en",
    "supportedLanguageCodes": ["ja"],
    "timeZone": "Asia/Tokyo",
    "startFlow": "Default Start Flow",
}
FLOW = {
    "name": "00000000-0000-0000-0000-000000000000",
    "displayName": "Default Start Flow",
    "transitionRoutes": [
        {
            "intent": "order.status",
            "triggerFulfillment": {"messages": [{"text": {"text": ["Hi"]}, "languageCode": "en"}]},
            "targetPage": "Ask",
            "name": "r1",
        }
    ],
    "nluSettings": {"modelType": "MODEL_TYPE_ADVANCED", "classificationThreshold": 0.30000001},
}
PAGE = {
    "name": "p1",
    "displayName": "Ask",
    "form": {"parameters": [{"displayName": "order_id", "entityType": "@sys.number", "required": True}]},
    "entryFulfillment": {
        "messages": [{"text": {"text": ["Which order?"]}, "languageCode": "en"}],
        "webhook": "api",
    },
}
INTENT = {"name": "i1", "displayName": "order.status", "priority": 500000}
PHRASES = {
    "trainingPhrases": [
        {
            "parts": [{"text": "where is "}, {"text": "12", "parameterId": "n"}],
            "repeatCount": 1,
            "languageCode": "en",
        }
    ]
}
WEBHOOK = {
    "name": "w1",
    "displayName": "api",
    "genericWebService": {"uri": "https://x", "password": "hunter2"},
}


def valid_package() -> dict[str, Any]:
    return {
        "agent.json": AGENT,
        "flows/Default Start Flow/Default Start Flow.json": FLOW,
        "flows/Default Start Flow/pages/Ask.json": PAGE,
        "intents/order.status/order.status.json": INTENT,
        "intents/order.status/trainingPhrases/en.json": PHRASES,
        "webhooks/api.json": WEBHOOK,
    }


def encode(files: dict[str, Any]) -> dict[str, bytes]:
    return {p: (v if isinstance(v, bytes) else json.dumps(v).encode()) for p, v in files.items()}


def test_the_valid_package_imports_and_validates() -> None:
    snapshot, _ = snapshot_from_package(encode(valid_package()))
    assert validate(snapshot) == []
    found = secrets.redact(snapshot)
    assert [s.name for s in found] == ["api/password"]
    assert b"hunter2" not in b"".join(tree_files(snapshot).values())
    assert b"hunter2" not in b"".join(package_files(snapshot).values())


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(_paths(v, (*prefix, i)))
    return out


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = json.loads(json.dumps(value))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return copy


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_broken_package_is_one_error_naming_a_file(data: st.DataObject) -> None:
    files = valid_package()
    path = data.draw(st.sampled_from(sorted(files)))
    how = data.draw(st.sampled_from(["value", "bytes", "delete"]))
    raw = encode(files)
    if how == "value":
        where = data.draw(st.sampled_from(_paths(files[path])))
        raw[path] = json.dumps(_replace(files[path], where, data.draw(JSON_VALUES))).encode()
    elif how == "bytes":
        blob = bytearray(raw[path])
        cut = data.draw(st.integers(0, len(blob)))
        raw[path] = bytes(blob[:cut]) + data.draw(st.binary(max_size=4))
    else:
        del raw[path]
    try:
        snapshot, _ = snapshot_from_package(raw)
        validate(snapshot)
        snapshot_from_tree(tree_files(snapshot))
    except CxopsError as err:
        assert err.location is not None and err.location.file, str(err)
        assert "\n" not in str(err)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_broken_tree_is_one_error_naming_a_file(data: st.DataObject) -> None:
    snapshot, _ = snapshot_from_package(encode(valid_package()))
    files = tree_files(snapshot)
    path = data.draw(st.sampled_from(sorted(files)))
    blob = files[path]
    how = data.draw(st.sampled_from(["cut", "insert", "delete"]))
    if how == "cut":
        cut = data.draw(st.integers(0, len(blob)))
        files[path] = blob[:cut]
    elif how == "insert":
        at = data.draw(st.integers(0, len(blob)))
        junk = data.draw(
            st.sampled_from([b": ", b"- ", b"\t", b"[", b"{", b"'", b"\xff", b"&a ", b"!!python/object "])
        )
        files[path] = blob[:at] + junk + blob[at:]
    else:
        del files[path]
    try:
        snapshot_from_tree(files, base="agents/a")
    except CxopsError as err:
        assert err.location is not None and err.location.file.startswith("agents/a"), str(err)
        assert "\n" not in str(err)


def test_paths_are_named_relative_to_the_repo(tmp_path: Path) -> None:
    snapshot, _ = snapshot_from_package(encode(valid_package()))
    files = tree_files(snapshot)
    files["intents/order.status.yaml"] = b"display_name: [unclosed\n"
    try:
        snapshot_from_tree(files, base="agents/a")
    except CxopsError as err:
        assert str(err).startswith("agents/a/intents/order.status.yaml:2: invalid YAML")
    else:
        raise AssertionError("a broken YAML file was accepted")


def _write_package(folder: Path, files: dict[str, Any]) -> Path:
    for path, value in encode(files).items():
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(value)
    return folder


DEEP_PAYLOAD: Any = 1
for _ in range(500):
    DEEP_PAYLOAD = {"a": DEEP_PAYLOAD}


@pytest.mark.parametrize(
    ("path", "raw", "message"),
    [
        (
            "agent.json",
            b"[" * 100_000 + b"]" * 100_000,
            "agent.json:1: invalid JSON: nested more than 100 levels deep",
        ),
        (
            "flows/Default Start Flow/pages/Ask.json",
            json.dumps({**PAGE, "entryFulfillment": {"messages": [{"payload": DEEP_PAYLOAD}]}}).encode(),
            "Ask.json:1: invalid JSON: nested more than 100 levels deep",
        ),
        (
            "intents/order.status/order.status.json",
            json.dumps({**INTENT, "displayName": "order\ud800status"}).encode(),
            "order.status.json:1: invalid JSON: a lone surrogate escape (\\ud800-\\udfff) in displayName",
        ),
        (
            "webhooks/api.json",
            b'{"name": "w1", "displayName": "api",\n "genericWebService": {"uri": "https://a",\n "uri": "https://b"}}',
            'webhooks/api.json:3: invalid JSON: duplicate key "uri"',
        ),
    ],
)
def test_a_bad_json_file_is_one_line_naming_it_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], path: str, raw: bytes, message: str
) -> None:
    # Issue 28 items 8 and 9: a RecursionError, a TypeError from a lone surrogate, and a
    # duplicate key that json resolved silently (last wins).
    package = _write_package(tmp_path / "pkg", {**valid_package(), path: raw})
    root = tmp_path / "repo"
    root.mkdir()
    assert main(["--root", str(root), "import", str(package), "--agent", "orders"]) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and message in err and "Traceback" not in err, err
    assert list(root.iterdir()) == []
