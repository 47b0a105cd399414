"""What each served RPC does: the semantics of the Dialogflow CX v3 design-time API.

Handlers take a raw protobuf request and return a raw protobuf response, or raise
:class:`RpcFailure`; the server layer adds counting, quotas, injected faults and latency.
"""

from __future__ import annotations

import base64
import json
import random
import re
import threading
import uuid
from pathlib import Path
from typing import Any

import grpc
from google.cloud import dialogflowcx_v3 as cx
from google.longrunning import operations_pb2
from google.protobuf import any_pb2, empty_pb2, field_mask_pb2, struct_pb2, timestamp_pb2

from cxops.errors import CxopsError
from cxops.fake import changelog as chg
from cxops.fake import refs as refmod
from cxops.fake import versions
from cxops.fake.export import export_package
from cxops.fake.kinds import (
    DEFAULT_NEGATIVE_INTENT,
    DEFAULT_START_FLOW,
    DEFAULT_WELCOME_INTENT,
    KINDS,
    Kind,
)
from cxops.fake.protoutil import Msg, is_repeated

# Re-exported: the runtime (fake/runtime/) imports its errors from here.
from cxops.fake.rpcerrors import RpcFailure as RpcFailure
from cxops.fake.rpcerrors import invalid as invalid
from cxops.fake.rpcerrors import not_found as not_found
from cxops.fake.store import Entry, Store, agent_of, parent_of
from cxops.fake.translate import assign_ids, merge, prune, split
from cxops.fake.validation import Validation
from cxops.fake.writechecks import check_refs, check_required, check_unique, referrers
from cxops.model import outputonly
from cxops.package.files import write_zip

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000

# ``locked`` is no output-only field (UpdateAgent may set it), but the stand-in keeps it from the
# stored resource: it models no lock.
STAND_IN_KEPT = frozenset({"locked"})


def output_only(desc: Any) -> frozenset[str]:
    """Fields of a message kept from the stored resource whatever the request says."""
    return outputonly.fields(desc.full_name) | (STAND_IN_KEPT & set(desc.fields_by_name))


LOCATION_RE = re.compile(r"^projects/[^/]+/locations/[^/]+$")
GCS_URI_RE = re.compile(r"^gs://[^/]+/.+$")


def _now(msg: Msg, field: str) -> None:
    ts = timestamp_pb2.Timestamp()
    ts.GetCurrentTime()
    getattr(msg, field).CopyFrom(ts)


def _copy(msg: Msg) -> Msg:
    out = type(msg)()
    out.CopyFrom(msg)
    return out


class CxService:
    """The state and the semantics; one lock makes every RPC atomic."""

    def __init__(self, store: Store | None = None, *, seed: int | None = None) -> None:
        self.store = store or Store()
        self.lock = threading.RLock()
        self.rng = random.Random(seed)
        self.shuffle_seed: int | None = None
        self.operation_polls = 0  # polls before a long-running operation reports done
        self.pending_polls: dict[str, int] = {}
        # Cloud Storage as far as ExportAgent (writes) and RestoreAgent (reads) need it: gs:// URI -> bytes.
        self.gcs: dict[str, bytes] = {}
        from cxops.fake.conversation import Conversations  # the runtime reads this service's store

        self.conversations = Conversations(self)
        self.validation = Validation(self)
        # The runtime answers webhooks from here first (a folder of WebhookResponse JSON files).
        self.webhook_fixtures: Path | None = None

    # -- helpers ------------------------------------------------------------------------------

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def entry(self, name: str, kind: Kind | None = None) -> Entry:
        found = self.store.entries.get(name)
        if found is None or (kind is not None and found.kind.collection != kind.collection):
            raise not_found(name)
        return found

    def agent(self, name: str) -> Msg:
        agent_name = agent_of(name)
        if not agent_name:
            raise invalid(f"{name!r} is not a resource name inside an agent.")
        return self.entry(agent_name, KINDS["agents"]).base

    def language(self, name: str, requested: str) -> str:
        agent = self.agent(name)
        default = str(agent.default_language_code)
        if not requested:
            return default.lower()
        supported = {default.lower(), *(str(c).lower() for c in agent.supported_language_codes)}
        if requested.lower() not in supported:
            raise invalid(
                f"Language code {requested!r} is not supported by agent {agent_of(name)}; "
                f"supported: {', '.join(sorted(supported))}."
            )
        return requested.lower()

    def view(self, entry: Entry, language: str) -> Msg:
        if not entry.kind.translatable:
            return _copy(entry.base)
        return merge(entry.base, entry.parts.get(language, {}), entry.kind.translatable)

    def check_parent(self, kind: Kind, parent: str) -> None:
        if kind.collection == "agents":
            if not LOCATION_RE.match(parent):
                raise invalid(
                    f"Parent {parent!r} is not of the form projects/<project>/locations/<location>."
                )
            return
        parent_kind = parent.rsplit("/", 2)[-2] if parent.count("/") >= 2 else ""
        if parent_kind not in kind.parents:
            raise invalid(f"Parent {parent!r} cannot hold {kind.collection}.")
        self.entry(parent)

    # -- generic CRUD -------------------------------------------------------------------------

    def create(self, kind: Kind, request: Msg) -> Msg:
        parent = str(request.parent)
        self.check_parent(kind, parent)
        msg = _copy(getattr(request, kind.field))
        language = self.language(parent, getattr(request, "language_code", "")) if kind.translatable else ""
        check_required(kind, msg)
        check_unique(self.store, kind, parent, msg)
        if kind.numeric_ids:
            taken = [int(e.name.rsplit("/", 1)[-1]) for e in self.store.list(parent, kind.collection)]
            rid = str(max(taken, default=0) + 1)
        else:
            rid = self.new_id()
            # A seeded generator replays its ids after a restart on saved state: skip taken names.
            while f"{parent}/{kind.collection}/{rid}" in self.store.entries:
                rid = self.new_id()
        for field in output_only(msg.DESCRIPTOR):
            if field in msg.DESCRIPTOR.fields_by_name:
                msg.ClearField(field)
        msg.name = f"{parent}/{kind.collection}/{rid}"
        self.fill_output_only(kind, msg, created=True)
        if kind.collection == "flows":
            self.flow_defaults(msg, language)
        assign_ids(msg, None, kind.translatable, self.new_id)
        check_refs(self.store, msg, str(msg.name))
        self.commit(kind, str(msg.name), msg, language, None)
        return self.view(self.store.entries[str(msg.name)], language)

    def fill_output_only(self, kind: Kind, msg: Msg, *, created: bool) -> None:
        fields = msg.DESCRIPTOR.fields_by_name
        if created:
            for field in ("create_time", "creation_time"):
                if field in fields:
                    _now(msg, field)
        if "update_time" in fields:
            _now(msg, "update_time")
        if kind.collection == "intents":
            for phrase in msg.training_phrases:
                if not phrase.id:
                    phrase.id = self.new_id()
        if kind.collection == "versions":
            msg.state = int(cx.Version.State.SUCCEEDED)
        if kind.collection == "tools":
            msg.tool_type = int(cx.Tool.ToolType.CUSTOMIZED_TOOL)

    def commit(self, kind: Kind, name: str, view: Msg, language: str, old: Entry | None) -> None:
        if not kind.translatable:
            self.store.add(Entry(kind=kind, name=name, base=view))
            return
        base, parts = split(view, kind.translatable)
        all_parts = (
            {} if old is None else {lang: prune(p, base, kind.translatable) for lang, p in old.parts.items()}
        )
        all_parts[language] = parts
        self.store.add(
            Entry(kind=kind, name=name, base=base, parts={k: v for k, v in all_parts.items() if v})
        )

    def get(self, kind: Kind, request: Msg) -> Msg:
        name = str(request.name)
        entry = self.entry(name, kind)
        language = self.language(name, getattr(request, "language_code", "")) if kind.translatable else ""
        return self.view(entry, language)

    def list_items(self, kind: Kind, request: Msg) -> Msg:
        parent = str(request.parent)
        if kind.collection == "agents":
            self.check_parent(kind, parent)
        else:
            self.check_parent(kind, parent)
        language = ""
        if "language_code" in request.DESCRIPTOR.fields_by_name and (
            kind.translatable or kind.collection == "examples"
        ):
            language = self.language(parent, str(request.language_code))
        entries = self.store.list(parent, kind.collection)
        if kind.collection == "examples" and str(request.language_code):
            # Without a language_code every example is listed: exports hold examples in codes
            # that are no agent language at all ("undetected").
            default = self.language(parent, "")
            entries = [e for e in entries if (str(e.base.language_code).lower() or default) == language]
        # A token is good for the collection it was issued for only, not for another under the same parent.
        page, token = self.page(request, f"{parent}/{kind.collection}", entries)
        response = kind.response("List")()
        items = getattr(response, kind.list_field)
        for entry in page:
            item = self.view(entry, language)
            if kind.collection == "intents" and request.intent_view == int(cx.IntentView.INTENT_VIEW_PARTIAL):
                item.ClearField("training_phrases")
            if kind.collection == "testCases" and request.view != int(
                cx.ListTestCasesRequest.TestCaseView.FULL
            ):
                item.ClearField("test_case_conversation_turns")
            items.append(item)
        response.next_page_token = token
        return response

    def page(self, request: Msg, scope: str, entries: list[Entry]) -> tuple[list[Entry], str]:
        size = int(request.page_size)
        if size < 0:
            raise invalid("page_size must not be negative.")
        size = min(size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        offset, nonce = 0, self.rng.getrandbits(32)
        token = str(request.page_token)
        if token:
            try:
                state = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
                offset, nonce, token_scope = int(state["o"]), int(state["n"]), str(state["s"])
            except (ValueError, KeyError, TypeError) as bad:
                raise invalid(f"Invalid page_token {token!r}.") from bad
            if token_scope != scope or offset < 0:
                raise invalid(f"page_token {token!r} does not belong to this request.")
        if self.shuffle_seed is not None:
            # The same permutation for every page of one listing, a new one for the next listing.
            entries = sorted(entries, key=lambda e: e.name)
            random.Random(f"{self.shuffle_seed}:{nonce}").shuffle(entries)
        chunk = entries[offset : offset + size]
        if offset + size >= len(entries):
            return chunk, ""
        state = {"o": offset + size, "n": nonce, "s": scope}
        return chunk, base64.urlsafe_b64encode(json.dumps(state).encode()).decode("ascii")

    def update(self, kind: Kind, request: Msg) -> Msg:
        incoming = getattr(request, kind.field)
        name = str(incoming.name)
        entry = self.entry(name, kind)
        language = self.language(name, getattr(request, "language_code", "")) if kind.translatable else ""
        old = self.view(entry, language)
        mask = request.update_mask
        if kind.collection == "testCases" and not mask.paths:
            raise invalid("update_mask is required to update a test case.")
        if mask.paths:
            if not mask.IsValidForDescriptor(kind.message.DESCRIPTOR):
                raise invalid(f"Invalid update_mask {list(mask.paths)} for {kind.singular}.")
            new = _copy(old)
            mask.MergeMessage(incoming, new, replace_message_field=True, replace_repeated_field=True)
            touched = set(mask.paths)
        else:
            new = _copy(incoming)
            touched = {f.name for f in kind.message.DESCRIPTOR.fields}
        for field in output_only(new.DESCRIPTOR):
            if field in new.DESCRIPTOR.fields_by_name:
                new.ClearField(field)
                keep_output_only(new, old, field)
        if kind.collection == "agents":
            self.check_agent_update(old, new, touched)
        check_required(kind, new)
        if new.display_name != old.display_name:
            check_unique(self.store, kind, entry.parent, new, own_name=name)
        self.fill_output_only(kind, new, created=False)
        assign_ids(new, old, kind.translatable, self.new_id)
        check_refs(self.store, new, name)
        self.commit(kind, name, new, language, entry)
        self.store.keep_export_only(name, touched)
        return self.view(self.store.entries[name], language)

    def check_agent_update(self, old: Msg, new: Msg, touched: set[str]) -> None:
        if "default_language_code" in touched and new.default_language_code != old.default_language_code:
            raise invalid("Agent.default_language_code is immutable.")
        if not new.start_flow and not new.start_playbook:
            new.start_flow = old.start_flow

    def delete(self, kind: Kind, request: Msg) -> Msg:
        name = str(request.name)
        entry = self.entry(name, kind)
        rid = name.rsplit("/", 1)[-1]
        if kind.collection == "flows" and rid == DEFAULT_START_FLOW:
            raise invalid("The default start flow cannot be deleted.")
        if kind.collection == "intents" and rid in (DEFAULT_WELCOME_INTENT, DEFAULT_NEGATIVE_INTENT):
            raise invalid(f"{entry.base.display_name} cannot be deleted.")
        self.remove_with_refs(name, force=bool(getattr(request, "force", False)))
        return empty_pb2.Empty()

    def remove_with_refs(self, name: str, *, force: bool) -> None:
        agent = agent_of(name)
        doomed = self.store.subtree(name)
        found = referrers(self.store, doomed, agent) if agent and agent != name else []
        if found and not force:
            entry, ref = found[0]
            raise RpcFailure(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"{name} is referenced by {entry.name} ({ref.field}); "
                f"remove the reference first or delete with force.",
            )
        for entry, ref in reversed(found):
            refmod.remove(ref)
            # A forced delete empties the references in every language's view alike.
            if entry.kind.translatable:
                entry.parts = {
                    lang: prune(p, entry.base, entry.kind.translatable) for lang, p in entry.parts.items()
                }
        self.store.remove(name)

    # -- agents -------------------------------------------------------------------------------

    def create_agent(self, request: Msg) -> Msg:
        kind = KINDS["agents"]
        agent_msg = self.create(kind, request)
        name = str(agent_msg.name)
        language = str(agent_msg.default_language_code).lower()
        self.add_defaults(name, language)
        entry = self.store.entries[name]
        entry.base.start_flow = f"{name}/flows/{DEFAULT_START_FLOW}"
        return _copy(entry.base)

    def add_defaults(self, agent: str, language: str) -> None:
        welcome = cx.Intent(
            name=f"{agent}/intents/{DEFAULT_WELCOME_INTENT}",
            display_name="Default Welcome Intent",
            priority=500000,
            description="The default welcome intent.",
            training_phrases=[
                cx.Intent.TrainingPhrase(parts=[cx.Intent.TrainingPhrase.Part(text=t)], repeat_count=1)
                for t in ("hi", "hello", "hey", "good morning", "greetings")
            ],
        )
        negative = cx.Intent(
            name=f"{agent}/intents/{DEFAULT_NEGATIVE_INTENT}",
            display_name="Default Negative Intent",
            priority=500000,
            is_fallback=True,
            description="The default negative intent, for utterances that must not match any intent.",
        )
        for intent in (welcome, negative):
            msg = cx.Intent.pb(intent)
            self.fill_output_only(KINDS["intents"], msg, created=True)
            self.commit(KINDS["intents"], str(msg.name), msg, language, None)
        flow = cx.Flow.pb(
            cx.Flow(
                name=f"{agent}/flows/{DEFAULT_START_FLOW}",
                display_name="Default Start Flow",
                description="A start flow created along with the agent",
                transition_routes=[
                    cx.TransitionRoute(
                        intent=welcome.name,
                        trigger_fulfillment=cx.Fulfillment(
                            messages=[
                                cx.ResponseMessage(
                                    text=cx.ResponseMessage.Text(text=["Greetings! How can I assist?"])
                                )
                            ]
                        ),
                    )
                ],
            )
        )
        self.flow_defaults(flow, language)
        assign_ids(flow, None, KINDS["flows"].translatable, self.new_id)
        self.commit(KINDS["flows"], str(flow.name), flow, language, None)

    def flow_defaults(self, flow: Msg, language: str) -> None:
        """What the real service adds to a new flow: NLU settings and the two default handlers."""
        if not flow.HasField("nlu_settings"):
            flow.nlu_settings.model_type = int(cx.NluSettings.ModelType.MODEL_TYPE_STANDARD)
            flow.nlu_settings.classification_threshold = 0.3
            flow.nlu_settings.model_training_mode = int(
                cx.NluSettings.ModelTrainingMode.MODEL_TRAINING_MODE_AUTOMATIC
            )
        if not flow.event_handlers:
            for event, text in (
                ("sys.no-match-default", "I didn't get that. Can you say it again?"),
                ("sys.no-input-default", "I didn't get that. Can you repeat?"),
            ):
                handler = flow.event_handlers.add()
                handler.event = event
                handler.trigger_fulfillment.messages.add().text.text.append(text)

    def delete_agent(self, request: Msg) -> Msg:
        name = str(request.name)
        self.entry(name, KINDS["agents"])
        self.store.remove(name)
        return empty_pb2.Empty()

    def get_generative_settings(self, request: Msg) -> Msg:
        name = str(request.name)
        agent = self.settings_agent(name)
        language = str(request.language_code)
        if not language:
            raise invalid("language_code is required.")
        language = self.language(agent, language)
        stored = self.store.generative_settings.get(agent, {}).get(language)
        if stored is not None:
            return cx.GenerativeSettings.pb().FromString(stored)
        return cx.GenerativeSettings.pb(cx.GenerativeSettings(name=name, language_code=language))

    def settings_agent(self, name: str) -> str:
        agent, _, rest = name.rpartition("/")
        if rest != "generativeSettings":
            raise invalid(f"{name!r} is not of the form <agent>/generativeSettings.")
        self.entry(agent, KINDS["agents"])
        return agent

    def update_generative_settings(self, request: Msg) -> Msg:
        incoming = request.generative_settings
        agent = self.settings_agent(str(incoming.name))
        language = self.language(agent, str(incoming.language_code))
        current = cx.GenerativeSettings.pb()()
        stored = self.store.generative_settings.get(agent, {}).get(language)
        if stored is not None:
            current.MergeFromString(stored)
        mask = request.update_mask
        if mask.paths:
            if not mask.IsValidForDescriptor(current.DESCRIPTOR):
                raise invalid(f"Invalid update_mask {list(mask.paths)} for GenerativeSettings.")
            mask.MergeMessage(incoming, current, replace_message_field=True, replace_repeated_field=True)
            touched = set(mask.paths)
        else:
            current.CopyFrom(incoming)
            touched = {f.name for f in current.DESCRIPTOR.fields}
        self.store.keep_export_only(f"{agent}/generativeSettings", touched, language)
        current.name = f"{agent}/generativeSettings"
        current.language_code = language
        self.store.generative_settings.setdefault(agent, {})[language] = current.SerializeToString(
            deterministic=True
        )
        return current

    # -- changelogs ----------------------------------------------------------------------------

    def before_write(self, request: Msg) -> dict[str, str]:
        """Display names of the existing resources a write names, read before it runs."""
        out = {}
        for name in chg.targets(request):
            entry = self.store.entries.get(name)
            if entry is not None:
                shown = (
                    entry.base.display_name if "display_name" in entry.base.DESCRIPTOR.fields_by_name else ""
                )
                out[name] = str(shown)
        return out

    def record_write(
        self, method: str, request: Msg, response: Msg, user: str, before: dict[str, str]
    ) -> None:
        """One changelog entry per resource a successful write changed, in its agent's log."""
        action = chg.action_of(method)
        if action is None or method == "DeleteAgent":
            return  # a deleted agent's log goes with it
        language = str(getattr(request, "language_code", "") or "")
        for resource, shown in chg.touched(method, request, response, before):
            agent = chg.agent_for(resource)
            if agent not in self.store.entries:
                continue
            self.store.changelogs.setdefault(agent, []).append(
                chg.new_entry(
                    agent=agent,
                    entry_id=self.new_id(),
                    user=user,
                    action=action,
                    resource=resource,
                    display_name=shown,
                    language=language,
                )
            )

    def list_changelogs(self, request: Msg) -> Msg:
        parent = str(request.parent)
        self.entry(parent, KINDS["agents"])
        try:
            tests = chg.parse_filter(str(request.filter))
        except chg.FilterError as bad:
            raise invalid(f"Invalid filter: {bad}.") from bad
        # "The changelogs will be ordered by timestamp" (v3 ListChangelogsResponse): newest first here.
        found = [e for e in reversed(self.store.changelogs.get(parent, [])) if chg.matches(e, tests)]
        entries = [Entry(kind=KINDS["versions"], name=e.name, base=e) for e in found]
        page, token = self.page(request, f"{parent}/changelogs?{request.filter}", entries)
        response = cx.ListChangelogsResponse.pb()(next_page_token=token)
        response.changelogs.extend(e.base for e in page)
        return response

    def get_changelog(self, request: Msg) -> Msg:
        name = str(request.name)
        for entry in self.store.changelogs.get(agent_of(name), []):
            if entry.name == name:
                return _copy(entry)
        raise not_found(name)

    # -- test cases ---------------------------------------------------------------------------

    def batch_delete_test_cases(self, request: Msg) -> Msg:
        parent = str(request.parent)
        self.entry(parent, KINDS["agents"])
        names = [str(n) for n in request.names]
        if not names:
            raise invalid("names is required.")
        for name in names:
            if parent_of(name) != parent:
                raise invalid(f"{name} is not a test case of {parent}.")
            self.entry(name, KINDS["testCases"])
        for name in names:
            self.store.remove(name)
        return empty_pb2.Empty()

    # -- long-running operations --------------------------------------------------------------

    def operation(self, scope: str, response: Msg, metadata: Msg) -> operations_pb2.Operation:
        location = "/".join(scope.split("/")[:4])
        op_name = f"{location}/operations/{self.new_id()}"
        while op_name in self.store.operations:  # as for resource names: never reuse a saved one
            op_name = f"{location}/operations/{self.new_id()}"
        op = operations_pb2.Operation(name=op_name, done=True)
        packed = any_pb2.Any()
        packed.Pack(response)
        op.response.CopyFrom(packed)
        op.metadata.Pack(metadata)
        self.store.operations[op.name] = op
        if self.operation_polls <= 0:
            return op
        # The work is done; the operation only reports it after this many polls, so that
        # clients' polling loops run as they do against the real service.
        self.pending_polls[op.name] = self.operation_polls
        running = operations_pb2.Operation(name=op.name, done=False)
        running.metadata.CopyFrom(op.metadata)
        return running

    def create_version(self, request: Msg) -> Msg:
        return versions.create_version(self, request)

    def delete_version(self, request: Msg) -> Msg:
        return versions.delete_version(self, request)

    def export_agent(self, request: Msg) -> Msg:
        name = str(request.name)
        self.entry(name, KINDS["agents"])
        if request.data_format != int(cx.ExportAgentRequest.DataFormat.JSON_PACKAGE):
            # The BLOB format is Google's private binary; unspecified means BLOB.
            raise invalid(
                "cxops fake exports agents as JSON_PACKAGE only; set data_format=JSON_PACKAGE "
                "(an unspecified data_format means BLOB)."
            )
        if request.environment or request.HasField("git_destination"):
            raise RpcFailure(
                grpc.StatusCode.UNIMPLEMENTED,
                "cxops fake exports an agent's draft only, not an environment or to git.",
            )
        uri = str(request.agent_uri)
        if uri and not GCS_URI_RE.match(uri):
            raise invalid(f"agent_uri {uri!r} is not of the form gs://<bucket>/<object>.")
        try:
            content = write_zip(export_package(self.store, name, self.view))
        except CxopsError as failure:
            raise RpcFailure(grpc.StatusCode.FAILED_PRECONDITION, str(failure)) from failure
        response = cx.ExportAgentResponse.pb()()
        if uri:
            self.gcs[uri] = content
            response.agent_uri = uri
        else:
            response.agent_content = content
        return self.operation(name, response, struct_pb2.Struct())

    def restore_agent(self, request: Msg) -> Msg:
        from cxops.fake.restore import restore  # the bootstrap writer needs the whole service

        name = str(request.name)
        self.entry(name, KINDS["agents"])
        if request.HasField("git_source"):
            raise RpcFailure(
                grpc.StatusCode.UNIMPLEMENTED, "cxops fake restores from a package, not from git."
            )
        if request.agent_uri:
            content = self.gcs.get(str(request.agent_uri))
            if content is None:
                raise RpcFailure(grpc.StatusCode.NOT_FOUND, f"{request.agent_uri} not found.")
        else:
            content = bytes(request.agent_content)
        if not content:
            raise invalid("agent_content or agent_uri is required.")
        try:
            restore(self, name, content)
        except CxopsError as failure:
            raise invalid(f"the package cannot be restored: {failure}") from failure
        return self.operation(name, empty_pb2.Empty(), struct_pb2.Struct())

    def create_environment(self, request: Msg) -> Msg:
        versions.check_version_configs(self, request.environment)
        versions.check_description(request.environment)
        env = self.create(KINDS["environments"], request)
        versions.record_history(self, env)
        return self.operation(str(env.name), env, struct_pb2.Struct())

    def update_environment(self, request: Msg) -> Msg:
        versions.check_version_configs(self, request.environment)
        versions.check_description(request.environment)
        env = self.update(KINDS["environments"], request)
        versions.check_version_configs(self, env)
        versions.record_history(self, env)
        return self.operation(str(env.name), env, struct_pb2.Struct())

    def get_operation(self, request: Msg) -> Msg:
        op = self.store.operations.get(str(request.name))
        if op is None:
            raise not_found(str(request.name))
        polls = self.pending_polls.get(op.name, 0)
        if polls > 0:
            self.pending_polls[op.name] = polls - 1
            running = operations_pb2.Operation(name=op.name, done=False)
            running.metadata.CopyFrom(op.metadata)
            return running
        return op

    def list_operations(self, request: Msg) -> Msg:
        scope = str(request.name)
        if not LOCATION_RE.match(scope):
            raise invalid(f"name {scope!r} is not of the form projects/<project>/locations/<location>.")
        ops = [op for name, op in self.store.operations.items() if name.startswith(scope + "/operations/")]
        fake_entries = [Entry(kind=KINDS["versions"], name=op.name, base=op) for op in ops]
        page, token = self.page(request, scope, fake_entries)
        return operations_pb2.ListOperationsResponse(
            operations=[e.base for e in page],
            next_page_token=token,
        )

    def cancel_operation(self, request: Msg) -> Msg:
        self.get_operation(request)  # done operations ignore a cancel, as on the real service
        return empty_pb2.Empty()


def keep_output_only(new: Msg, old: Msg, field: str) -> None:
    desc = new.DESCRIPTOR.fields_by_name[field]
    value = getattr(old, field)
    if is_repeated(desc):
        getattr(new, field).extend(value)
    elif desc.type == desc.TYPE_MESSAGE:
        if old.HasField(field):
            getattr(new, field).CopyFrom(value)
    else:
        setattr(new, field, value)


FieldMask = field_mask_pb2.FieldMask
