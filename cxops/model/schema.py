"""The v3 API's messages as the model layer sees them, read from cxops/model/schema.json.

The table is generated from the installed client's descriptors by ``python -m
cxops.model.gen_schema`` and checked against it by tests/test_schema.py. The objects here answer
the part of protobuf's descriptor interface cxops walks bodies with (``full_name``, ``fields``,
``fields_by_name``, ``message_type``, ``enum_type``, ``GetOptions().map_entry``, ...), so code
that walks a tree body works alike on these and on a real message's ``DESCRIPTOR``, and a command
that never connects to CX never imports the client (0.5 s of start-up).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from importlib import resources

V3 = "google.cloud.dialogflow.cx.v3"
# Messages that hold free-form JSON: kept as JSON, never walked field by field.
FREE_FORM = frozenset({"google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue"})
# protobuf's FieldDescriptor.TYPE_* numbers, by the name the table writes.
SCALAR_TYPES = {
    "double": 1,
    "float": 2,
    "int64": 3,
    "uint64": 4,
    "int32": 5,
    "fixed64": 6,
    "fixed32": 7,
    "bool": 8,
    "string": 9,
    "group": 10,
    "message": 11,
    "bytes": 12,
    "uint32": 13,
    "enum": 14,
    "sfixed32": 15,
    "sfixed64": 16,
    "sint32": 17,
    "sint64": 18,
}
# TYPE_* -> CPPTYPE_* (protobuf's descriptor.py ``_FieldDescriptor__TYPE_TO_CPP_TYPE_MAP``).
_CPP_TYPE = {1: 5, 2: 6, 3: 2, 4: 4, 5: 1, 6: 4, 7: 3, 8: 7, 9: 9, 10: 10, 11: 10, 12: 9, 13: 3, 14: 8}
_CPP_TYPE |= {15: 1, 16: 2, 17: 1, 18: 2}


def default_json_name(name: str) -> str:
    """The JSON name protoc gives a field unless the proto sets one: lowerCamelCase of its name."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclass(frozen=True)
class EnumValue:
    name: str
    number: int


@dataclass(eq=False)
class Enum:
    full_name: str
    values: tuple[EnumValue, ...]

    def __post_init__(self) -> None:
        self.name = self.full_name.rsplit(".", 1)[-1]
        self.values_by_name = {v.name: v for v in self.values}
        self.values_by_number = {v.number: v for v in self.values}


@dataclass(frozen=True)
class Options:
    map_entry: bool


@dataclass(eq=False)
class Field:
    """One field of a message (the subset of ``FieldDescriptor`` cxops reads)."""

    TYPE_DOUBLE = 1
    TYPE_FLOAT = 2
    TYPE_BOOL = 8
    TYPE_STRING = 9
    TYPE_MESSAGE = 11
    TYPE_BYTES = 12
    TYPE_ENUM = 14
    CPPTYPE_INT32 = 1
    CPPTYPE_INT64 = 2
    CPPTYPE_UINT32 = 3
    CPPTYPE_UINT64 = 4
    CPPTYPE_DOUBLE = 5
    CPPTYPE_FLOAT = 6
    CPPTYPE_BOOL = 7
    CPPTYPE_ENUM = 8
    CPPTYPE_STRING = 9
    CPPTYPE_MESSAGE = 10
    LABEL_OPTIONAL = 1
    LABEL_REPEATED = 3

    name: str
    number: int
    type: int
    json_name: str
    is_repeated: bool
    containing_type: Message
    containing_oneof: str | None = None  # the oneof's name (protobuf gives its descriptor)
    behavior: frozenset[str] = frozenset()  # google.api.field_behavior: OUTPUT_ONLY, REQUIRED, ...
    message_type: Message | None = None
    enum_type: Enum | None = None
    # The most characters the proto comment allows ("Limit of 64 characters."), where it says.
    max_chars: int | None = None

    @property
    def cpp_type(self) -> int:
        return _CPP_TYPE[self.type]

    @property
    def label(self) -> int:
        return self.LABEL_REPEATED if self.is_repeated else self.LABEL_OPTIONAL

    @property
    def camelcase_name(self) -> str:
        return default_json_name(self.name)

    @property
    def output_only(self) -> bool:
        return "OUTPUT_ONLY" in self.behavior


@dataclass(eq=False)
class Message:
    """One message (the subset of ``Descriptor`` cxops reads)."""

    full_name: str
    map_entry: bool = False
    # Keys v3beta1 gives a message shape where v3 has no field (cxops/model/proto.py beta_shaped).
    beta_shaped: frozenset[str] = frozenset()
    fields: tuple[Field, ...] = ()
    fields_by_name: dict[str, Field] = field(default_factory=dict)
    fields_by_camelcase_name: dict[str, Field] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.full_name.rsplit(".", 1)[-1]

    def GetOptions(self) -> Options:
        return Options(self.map_entry)


def _load() -> tuple[dict[str, Message], dict[str, Enum]]:
    data = json.loads(resources.files("cxops.model").joinpath("schema.json").read_text(encoding="utf-8"))
    enums = {
        name: Enum(name, tuple(EnumValue(n, number) for n, number in values))
        for name, values in data["enums"].items()
    }
    messages = {
        name: Message(name, bool(entry.get("map_entry")), frozenset(entry.get("beta_shaped", ())))
        for name, entry in data["messages"].items()
    }
    for name, entry in data["messages"].items():
        msg = messages[name]
        fields = []
        for f in entry["fields"]:
            type_name = f["type"]
            sub, enum = messages.get(type_name), enums.get(type_name)
            kind = SCALAR_TYPES["message" if sub else "enum" if enum else type_name]
            fields.append(
                Field(
                    f["name"],
                    f["number"],
                    kind,
                    f.get("json_name", default_json_name(f["name"])),
                    bool(f.get("repeated")),
                    msg,
                    f.get("oneof"),
                    frozenset(f.get("behavior", ())),
                    sub,
                    enum,
                    f.get("max_chars"),
                )
            )
        msg.fields = tuple(fields)
        msg.fields_by_name = {f.name: f for f in fields}
        msg.fields_by_camelcase_name = {f.camelcase_name: f for f in fields}
    return messages, enums


@functools.cache
def _tables() -> tuple[dict[str, Message], dict[str, Enum]]:
    return _load()


def message(full_name: str) -> Message:
    """The message of that full name (``google.cloud.dialogflow.cx.v3.Page``); KeyError if the
    table does not hold it (only messages a tree kind's body reaches are in it)."""
    return _tables()[0][full_name]


def messages() -> dict[str, Message]:
    """Every message of the table, by full name."""
    return dict(_tables()[0])


def output_only(full_name: str) -> frozenset[str]:
    """The fields of a message the API marks OUTPUT_ONLY: set by the server, never written."""
    return frozenset(f.name for f in message(full_name).fields if f.output_only)
