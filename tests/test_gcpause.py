"""The collector pause around decoding and tree writing gives the collector back as it found it,
even when the work fails: a decode that left it off would leak every later cycle of the process."""

from __future__ import annotations

import gc

import pytest

from cxops.errors import ValidationError
from cxops.model.gcpause import gc_paused
from cxops.package.reader import snapshot_from_package
from cxops.repo.tree import tree_files


def test_paused_inside_and_restored_after() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_left_off_when_it_was_off() -> None:
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_restored_when_decoding_fails() -> None:
    with pytest.raises(ValidationError):
        snapshot_from_package({"agent.json": b'{"displayName": "x"}'})  # no defaultLanguageCode
    assert gc.isenabled()
    with pytest.raises(ValidationError):
        # A TypeError deep inside, turned into one message outside the pause.
        snapshot_from_package(
            {"agent.json": b'{"displayName": "x", "defaultLanguageCode": "en", "supportedLanguageCodes": 5}'}
        )
    assert gc.isenabled()
    with pytest.raises(ValidationError):
        snapshot_from_package({"agent.json": b"{not json"})
    assert gc.isenabled()


def test_restored_after_decoding_and_writing() -> None:
    snapshot, _ = snapshot_from_package({"agent.json": b'{"displayName": "x", "defaultLanguageCode": "en"}'})
    assert gc.isenabled()
    assert tree_files(snapshot)["agent.yaml"].startswith(b"display_name: x\n")
    assert gc.isenabled()
