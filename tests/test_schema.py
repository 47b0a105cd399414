"""cxops/model/schema.json against the installed client: the table the model layer reads instead
of importing ``google-cloud-dialogflow-cx`` (issue 30) can never silently fall behind it."""

from __future__ import annotations

from typing import Any

import pytest
from google.cloud import dialogflowcx_v3 as cx

from cxops.model import gen_schema, schema
from cxops.model import kinds as K
from cxops.model.proto import beta_shaped, is_repeated


def test_the_checked_in_table_is_what_the_installed_client_gives() -> None:
    # A client release with new fields (or types, enums, behaviours) fails here until
    # `python -m cxops.model.gen_schema` is run and its change committed.
    text = gen_schema.render(gen_schema.build())
    assert gen_schema.TABLE.read_text(encoding="utf-8") == text, (
        "cxops/model/schema.json is out of date with the installed google-cloud-dialogflow-cx: "
        "run `python -m cxops.model.gen_schema` and commit the change"
    )


def test_a_field_the_table_lacks_shows_as_a_difference() -> None:
    table = gen_schema.build()
    fields = table["messages"][f"{schema.V3}.Page"]["fields"]
    fields.append({"name": "new_field", "number": 99, "type": "string"})
    assert gen_schema.render(table) != gen_schema.TABLE.read_text(encoding="utf-8")


def _same(ours: Any, real: Any, seen: set[str]) -> None:
    if real.full_name in seen:
        return
    seen.add(real.full_name)
    assert ours.full_name == real.full_name and ours.name == real.name
    assert ours.GetOptions().map_entry == real.GetOptions().map_entry
    assert [f.name for f in ours.fields] == [f.name for f in real.fields]
    assert set(ours.fields_by_camelcase_name) == set(real.fields_by_camelcase_name)
    for mine, theirs in zip(ours.fields, real.fields, strict=True):
        where = f"{real.full_name}.{theirs.name}"
        assert (mine.number, mine.type, mine.cpp_type, mine.json_name, mine.camelcase_name) == (
            theirs.number,
            theirs.type,
            theirs.cpp_type,
            theirs.json_name,
            theirs.camelcase_name,
        ), where
        assert mine.is_repeated == is_repeated(theirs), where
        assert mine.containing_type is ours, where
        assert mine.containing_oneof == (theirs.containing_oneof and theirs.containing_oneof.name), where
        if theirs.enum_type is not None:
            assert mine.enum_type is not None, where
            assert [(v.name, v.number) for v in mine.enum_type.values] == [
                (v.name, v.number) for v in theirs.enum_type.values
            ], where
            assert mine.enum_type.name == theirs.enum_type.name
        else:
            assert mine.enum_type is None, where
        if theirs.message_type is not None:
            assert mine.message_type is not None, where
            _same(mine.message_type, theirs.message_type, seen)
        else:
            assert mine.message_type is None, where


@pytest.mark.parametrize("kind", sorted(K.KINDS))
def test_each_kind_reads_as_its_protobuf_descriptor(kind: str) -> None:
    # Code walks bodies alike with the table and with a real message's DESCRIPTOR.
    real = getattr(cx, K.KINDS[kind].proto).pb().DESCRIPTOR
    _same(K.KINDS[kind].descriptor, real, set())


def test_output_only_fields_come_from_the_api_documentation() -> None:
    # googleapis documents OUTPUT_ONLY fields "Output only." (https://linter.aip.dev/203/output-only).
    assert {"referenced_playbooks", "referenced_flows", "token_count"} <= schema.output_only(
        f"{schema.V3}.Playbook"
    )
    assert "tool_type" in schema.output_only(f"{schema.V3}.Tool")
    assert schema.output_only(f"{schema.V3}.Page") == frozenset()
    assert "REQUIRED" in schema.message(f"{schema.V3}.Page").fields_by_name["display_name"].behavior


def test_keys_v3beta1_gives_a_shape() -> None:
    # LlmModelSettings.parameters: v3beta1's LlmModelSettings.Parameters, absent from v3.
    assert beta_shaped(f"{schema.V3}.LlmModelSettings", "parameters")
    assert not beta_shaped(f"{schema.V3}.LlmModelSettings", "temperature")
    assert not beta_shaped(f"{schema.V3}.NoSuchMessage", "parameters")
