"""v3beta1 served at the edge: each v3beta1 method is its v3 twin, its messages translated.

dfcx-scrapi and other tools speak ``google.cloud.dialogflow.cx.v3beta1``. v3beta1 is a superset
of v3 with the same field names and numbers (``tests/test_fake_beta.py`` checks this on the
installed client), so one state serves both: a v3beta1 request is translated to its v3 twin by
field name (through the JSON form), handled by the v3 service, and the answer translated back.

A v3beta1-only field (or enum value) that is set cannot be held by the v3 state: the call is
refused with INVALID_ARGUMENT naming it, never dropped in silence. The other way, a v3 field a
v3beta1 message has no place for is left out of the answer (the v3beta1 client could not read
it anyway).
"""

from __future__ import annotations

import threading
from typing import Any, cast

from google.protobuf import descriptor_pool, json_format, message_factory

from cxops.fake.protoutil import Msg

V3 = "google.cloud.dialogflow.cx.v3"
BETA = "google.cloud.dialogflow.cx.v3beta1"
_V3_TYPE = f"type.googleapis.com/{V3}."
_BETA_TYPE = f"type.googleapis.com/{BETA}."


class Untranslatable(Exception):
    """A v3beta1 request holds what the v3 state has no field for."""


def _load_beta() -> None:
    # Importing the package registers every v3beta1 message in the default descriptor pool.
    import google.cloud.dialogflowcx_v3beta1  # noqa: F401


def beta_name(v3_full_method: str) -> str:
    """``/google.cloud.dialogflow.cx.v3.Agents/GetAgent`` -> its v3beta1 twin."""
    return v3_full_method.replace(f"/{V3}.", f"/{BETA}.", 1)


def beta_class(v3_class: type[Msg]) -> type[Msg]:
    """The v3beta1 message class of the same name as a v3 one; other messages (Empty,
    Operation) are shared by both versions and are their own twin."""
    full = v3_class.DESCRIPTOR.full_name
    if not full.startswith(V3 + "."):
        return v3_class
    _load_beta()
    descriptor = descriptor_pool.Default().FindMessageTypeByName(BETA + full[len(V3) :])
    return cast("type[Msg]", message_factory.GetMessageClass(descriptor))


def _retype(value: Any, old: str, new: str) -> Any:
    """Rewrite ``@type`` URLs of packed ``Any`` messages (operation results) in a JSON form."""
    if isinstance(value, dict):
        out = {k: _retype(v, old, new) for k, v in value.items()}
        at = out.get("@type")
        if isinstance(at, str) and at.startswith(old):
            out["@type"] = new + at[len(old) :]
        return out
    if isinstance(value, list):
        return [_retype(v, old, new) for v in value]
    return value


def _convert(message: Msg, target: type[Msg], *, strict: bool, old: str, new: str) -> Msg:
    data = json_format.MessageToDict(message, preserving_proto_field_name=True)
    out = target()
    try:
        json_format.ParseDict(_retype(data, old, new), out, ignore_unknown_fields=not strict)
    except json_format.ParseError as error:
        raise Untranslatable(str(error)) from None
    return out


def to_v3(request: Msg, v3_class: type[Msg]) -> Msg:
    """A v3beta1 request as its v3 twin; :class:`Untranslatable` names a field v3 cannot hold."""
    if type(request) is v3_class:
        return request
    return _convert(request, v3_class, strict=True, old=_BETA_TYPE, new=_V3_TYPE)


def to_beta(response: Msg, beta: type[Msg]) -> Msg:
    """A v3 answer as its v3beta1 twin, packed results (``Any``) included."""
    return _convert(response, beta, strict=False, old=_V3_TYPE, new=_BETA_TYPE)


class BetaOperations:
    """Names of the long-running operations a v3beta1 call started.

    The Operations service is one for both versions; only the operation's name tells which
    version's client polls it, so its packed result is answered in that version's types."""

    def __init__(self) -> None:
        self._names: set[str] = set()
        self._lock = threading.Lock()

    def add(self, response: Msg) -> None:
        name = getattr(response, "name", "")
        if name and "/operations/" in str(name):
            with self._lock:
                self._names.add(str(name))

    def answer(self, response: Msg) -> Msg:
        """A GetOperation / ListOperations answer, retyped where an operation is v3beta1's."""
        with self._lock:
            names = set(self._names)
        if hasattr(response, "operations"):  # ListOperationsResponse
            for op in response.operations:
                if op.name in names:
                    op.CopyFrom(to_beta(op, type(op)))
            return response
        if getattr(response, "name", "") in names:
            return to_beta(response, type(response))
        return response
