"""A conversation session: flows, pages, forms, routes, event handlers, fulfillments.

The turn follows the page lifecycle of the CX "Pages" concept guide: entry fulfillment, form
pre-filling, state handlers (condition routes), then a prompt for the next empty required form
parameter. Routes in scope with input, in this order (Page.transition_route_groups reference:
"page's transition route -> page's transition route group -> flow's transition routes"; flow
route groups after the flow's routes; intent routes of the flow are "inherited by every page",
Flow.transition_routes reference): the page's routes, the page's route groups, the flow's
routes, the flow's route groups (flow-level before agent-level). Condition-only routes of the
flow and its groups are evaluated only while the flow's start page is current. Events are
handled by the form parameter being filled (reprompt handlers), then the page, then the flow.
"""

from __future__ import annotations

import datetime
import json
import random
import re
from dataclasses import dataclass
from typing import Any

from cxops.fake.protoutil import Msg
from cxops.fake.runtime import conditions, sysfunc
from cxops.fake.runtime.agentview import AgentView, value_of
from cxops.fake.runtime.entities import UnclockedDate, UnsupportedEntity
from cxops.fake.runtime.nlu import IntentDef, Match, match, ranked
from cxops.fake.runtime.turn import Message, TurnError, TurnOutput
from cxops.fake.runtime.webhooks import WebhookCalls

__all__ = ["Frame", "Message", "Session", "TurnError", "TurnOutput"]

MAX_STEPS = 64  # transitions in one turn before the runtime calls it a loop
START = "START_PAGE"
DEFAULT_WELCOME = "00000000-0000-0000-0000-000000000000"
REF_RE = re.compile(r"\$(session|page|intent)\.params\.([\w\-]+)")
SLOT = "\x00slot\x00"  # where a rendered text reads a parameter the runtime could not read


@dataclass
class Frame:
    flow: str
    page: str  # a page resource name, or START
    previous: str = START
    # The route of this page that entered the flow above: "When the sub flow is finished,
    # Dialogflow will bring the session back to the parent flow, where the sub flow is started"
    # (Flow reference), so on return that route is spent and does not start the flow again.
    entered_by: str = ""


class Session(WebhookCalls):
    def __init__(self, service: Any, agent: str, seed: int = 0, environment: str = "") -> None:
        # environment: a resource name; the session runs that environment's flow versions
        self.service, self.agent, self.environment = service, agent, environment
        self.params: dict[str, Any] = {}
        self.stack: list[Frame] = []
        self.requested: str | None = None  # the form parameter last prompted for
        self.intent_params: dict[str, Any] = {}
        self.rng = random.Random(seed)
        self.ended = False
        self.view: AgentView | None = None
        # Test runs only: the recorded turn (what CX answered), to follow where the runtime cannot
        # decide, and the day that relative dates resolve against (see clocked).
        self.recorded_intent = ""
        self.recorded_params: dict[str, Any] = {}
        self.recorded_texts: list[str] = []
        self.records_intents = False  # the test case records triggered intents on its turns
        self.clock: Any = None
        # Whether ``clock`` is the recording day. The stand-in stamps creation times itself (a
        # tree carries none: they are output-only), so it learns the day only from the recording:
        # a date CX recorded for "today" or "tomorrow" (set_clock).
        self.clocked = False
        self.webhooks_enabled = False
        self.carried = ""  # the intent an intent route carries into its target flow
        # Test runs only: parameters CX set to a value the runtime cannot read (an intent
        # parameter of a system entity outside the subset) -> the cause. What reads one is
        # undecided; what reads none stays decided.
        self.unknown: dict[str, str] = {}
        self.out = TurnOutput()
        # (event kind, form parameter being filled) -> no-match / no-input events in a row
        self.misses: dict[tuple[str, str], int] = {}
        self.missed = False  # this turn raised a no-match / no-input event

    # -- state ---------------------------------------------------------------------------------

    def start(self, flow: str = "", page: str = "") -> None:
        agent_msg = self.service.store.entries[self.agent].base
        if page and not flow:
            flow = page.split("/pages/")[0]
        flow = flow or str(agent_msg.start_flow)
        if not flow:
            raise TurnError("the agent starts with a playbook; the runtime models flows only")
        if page.endswith("/pages/START_PAGE"):
            page = ""
        self.stack = [Frame(flow, page or START)]

    @property
    def frame(self) -> Frame:
        return self.stack[-1]

    def current_page(self) -> str:
        frame = self.frame
        if self.ended:
            # The session ended on END_SESSION: CX reports that symbolic page as the current one
            # (test cases record "currentPage": "End Session" after the last turn).
            return f"{frame.flow}/pages/END_SESSION"
        return f"{frame.flow}/pages/START_PAGE" if frame.page == START else frame.page

    def lookup(self, ref: str) -> Any:
        scope, _, path = ref[1:].partition(".params.")
        steps = re.findall(r"\[(\d+)\]|\.?([^.\[]+)", path)
        name = steps[0][1] if steps else path
        if scope == "page" and name == "status" and len(steps) == 1:
            return "FINAL" if self.form_complete() else None
        value: Any = (self.intent_params if scope == "intent" else self.params).get(name)
        if name in self.unknown:
            # Set to a value the runtime could not read (or not set, where CX may have): what
            # reads it is undecided.
            self.out.hold(self.unknown[name])
        for index, key in steps[1:]:
            if index and isinstance(value, list) and int(index) < len(value):
                value = value[int(index)]
            elif key and isinstance(value, dict):
                value = value.get(key)
            else:
                return None
        return value

    def cond(self, expr: str) -> bool:
        try:
            return conditions.evaluate(expr, self.lookup)
        except conditions.Unsupported as bad:
            if not self.recording:
                raise TurnError(str(bad)) from bad
            # In a test run: the turn cannot be decided; it goes on as if the condition failed.
            self.out.notes.append(str(bad))
            self.out.hold("unsupported")
            return False

    @property
    def recording(self) -> bool:
        return self.clock is not None

    def page_msg(self) -> Msg | None:
        assert self.view is not None
        return None if self.frame.page == START else self.view.pages.get(self.frame.page)

    def form_params(self) -> list[Msg]:
        page = self.page_msg()
        return list(page.form.parameters) if page is not None else []

    def form_complete(self) -> bool:
        missing = [
            str(p.display_name)
            for p in self.form_params()
            if p.required and self.params.get(str(p.display_name)) is None
        ]
        for name in missing:
            if name in self.unknown:
                self.out.hold(self.unknown[name])  # CX may have filled it
        return not missing

    # -- a turn --------------------------------------------------------------------------------

    def turn(
        self, language: str, text: str = "", event: str = "", injected: dict[str, Any] | None = None
    ) -> TurnOutput:
        self.view = AgentView(self.service, self.agent, language, self.environment)
        if self.recording:
            self.view.today, self.view.clocked = self.clock, self.clocked
        if not self.stack:
            self.start()
        if injected:
            self.params.update(injected)
            for name in injected:
                self.unknown.pop(name, None)
        out = self.out = TurnOutput()
        self.steps, self.carried, self.missed = 0, "", False
        self.dated: dict[str, UnclockedDate] = {}  # entity types whose date the match read, unclocked
        if self.ended:
            raise TurnError("the session has ended (END_SESSION); start a new one")
        if event:
            out.event = event
            self.handle_event(event, out)
        elif text.strip():
            # Whitespace around a text query is no part of the end-user expression: recorded CX
            # test cases fill an anchored regexp entity (`^[a-zA-Z0-9]{5,6}$`) from "Mumbai " and
            # echo "Mumbai" (QueryInput.text is "natural language text to be processed").
            self.handle_text(text.strip(), out)
        else:
            self.handle_event(self.numbered("sys.no-input"), out)
        if not self.missed:
            self.misses.clear()  # the count is of no-match / no-input events in a row
        return out

    def scope(self, with_input: bool) -> list[tuple[str, Msg]]:
        """(owner, route) in CX's evaluation order for the current page."""
        assert self.view is not None
        v, frame = self.view, self.frame
        routes: list[tuple[str, Msg]] = []
        page = self.page_msg()
        flow = v.flows[frame.flow]

        def group_routes(names: Any) -> None:
            for g in names:
                group = v.groups.get(str(g))
                if group is not None:
                    routes.extend((str(g), r) for r in group.transition_routes)

        if page is not None:
            routes.extend((frame.page, r) for r in page.transition_routes)
            group_routes(page.transition_route_groups)
        at_start = page is None
        flow_routes = [(frame.flow, r) for r in flow.transition_routes]
        flow_groups: list[tuple[str, Msg]] = []
        before = len(routes)
        group_routes(flow.transition_route_groups)
        flow_groups = routes[before:]
        del routes[before:]
        # On a page the flow's route groups are the page's too ("inherited by every page's
        # transition route groups", Flow.transition_route_groups), and "page's transition route
        # -> page's transition route group -> flow's transition routes" (Page reference): the
        # groups come before the flow's own routes. On the start page, which is the flow, the
        # flow's routes come first, then its groups (a corpus agent's latest recording,
        # rohitkumar404 Tc_24Upgrade, takes the flow's route there; its cases on other pages,
        # TC_04 and TC_06, the group's).
        for owner, route in flow_routes + flow_groups if at_start else flow_groups + flow_routes:
            if at_start or (with_input and route.intent):
                routes.append((owner, route))
        if with_input:
            # Flow-level intent routes apply on every page; condition routes in their place.
            intent_first = [x for x in routes if x[1].intent]
            return intent_first + [x for x in routes if not x[1].intent]
        return routes

    def handle_text(self, text: str, out: TurnOutput) -> None:
        assert self.view is not None
        v = self.view
        routes = self.scope(with_input=True)
        in_scope = {str(r.intent) for _, r in routes if r.intent}
        candidates = [i for n, i in v.intents.items() if n in in_scope or i.is_fallback]
        find, unread = self.lenient_find(out)
        if self.recording:
            found, decided = ranked(text, candidates, v.threshold(self.frame.flow), find)
            if not decided:
                found = self.follow_recording(text, candidates, found, out)
            if unread:
                self.unread_entities(found, unread, out)
            if self.dated and found is not None:
                for name, entity_type in found.intent.parameters.items():
                    if entity_type in self.dated and name in found.params:
                        said = self.dated[entity_type]
                        found.params[name] = self.date_value(name, said, found.params[name], out)
        else:
            found = match(text, candidates, v.threshold(self.frame.flow), find)
        self.intent_params = {}
        if found is not None:
            out.intent, out.confidence = found.intent, found.confidence
            # A list parameter (is_list) holds its values as a list, as CX's do.
            self.intent_params = {
                k: [v] if found.intent.is_list.get(k) and not isinstance(v, list) else v
                for k, v in found.params.items()
            }
            # Intent parameters become session parameters (and so fill forms of the same name).
            self.params.update(self.intent_params)
            for name in self.intent_params:
                self.unknown.pop(name, None)
            for owner, route in routes:
                if str(route.intent) == found.intent.name and (
                    not route.condition or self.cond(str(route.condition))
                ):
                    self.fire(owner, route, out)
                    return
        if self.requested and found is None and self.fill_requested(text, out):
            self.after_fill(out)
            return
        if found is None:
            self.handle_event(self.numbered("sys.no-match"), out)

    def follow_recording(
        self, text: str, candidates: list[IntentDef], guess: Match | None, out: TurnOutput
    ) -> Match | None:
        """The matcher cannot call this utterance (nlu.ranked): its intent is undecided, and the
        turn follows the intent CX recorded, when the test case names one in scope; its
        parameters take the recorded values (what CX's NLU extracted), so the rest of the turn is
        decided given CX's match. Without a recorded intent the whole turn is undecided; a
        recorded intent with no route in scope is decided, as no match at all."""
        recorded = next((i for i in candidates if i.name == self.recorded_intent), None)
        if recorded is None and self.recorded_intent:
            # CX's intent has no route in scope here: no NLU could match it from this page, so the
            # intent assertion is decided (and fails).
            return guess
        if recorded is None and self.records_intents:
            # A test case that records the triggered intent on its turns records none where CX
            # matched none: the query was used for parameter filling or matched nothing
            # (Match.MatchType PARAMETER_FILLING, NO_MATCH: no intent). The turn follows that,
            # decided given CX's answer, as with a recorded intent.
            out.hold("nlu", "intent", state=False)
            return None
        if recorded is None:
            out.hold("nlu")
            return guess
        out.hold("nlu", "intent", state=False)
        params = {k: self.recorded_params[k] for k in recorded.parameters if k in self.recorded_params}
        if recorded.parameters and len(params) < len(recorded.parameters):
            out.hold("nlu", "parameters")
        return Match(recorded, 1.0, params, False)

    def lenient_find(self, out: TurnOutput) -> tuple[Any, dict[str, str]]:
        """Entity lookup for intent matching: a system entity outside the subset finds nothing
        (its parameter stays empty), and the turn says so; it is never guessed. Also the entity
        types it could not read (-> the undecided cause), filled as the matching goes."""
        assert self.view is not None
        view = self.view
        unread: dict[str, str] = {}

        def find(entity_type: str, text: str) -> Any:
            try:
                return view.find(entity_type, text)
            except UnclockedDate as bad:
                # The date is there (the match stands), its value unknown: Session.dated.
                self.dated.setdefault(entity_type, bad)
                return bad.found
            except UnsupportedEntity as bad:
                if str(bad) not in out.notes:
                    out.notes.append(str(bad))
                unread.setdefault(entity_type, bad.cause)
                return []

        return find, unread

    def unread_entities(self, found: Match | None, unread: dict[str, str], out: TurnOutput) -> None:
        """An entity type the matcher could not read may have changed which intent CX matched:
        the intent is undecided, and so the state after it. Where the match is the intent CX
        recorded, only that intent's parameters of such types are: they take the recorded values,
        or stay unknown (Session.unknown), so only what reads them is undecided."""
        if found is None or not self.recorded_intent or found.intent.name != self.recorded_intent:
            # Which route fires, and so the page and messages, follow from the intent.
            for cause in dict.fromkeys(unread.values()):
                out.hold(cause)
            return
        for name, entity_type in found.intent.parameters.items():
            if entity_type not in unread or name in found.params:
                continue
            if name in self.recorded_params:
                found.params[name] = self.recorded_params[name]
                out.hold(unread[entity_type], "parameters", state=False)
            elif self.params.get(name) is None:
                # CX may have extracted a value here, or not: unknown.
                self.unknown[name] = unread[entity_type]

    def fill_requested(self, text: str, out: TurnOutput) -> bool:
        assert self.view is not None
        for param in self.form_params():
            if str(param.display_name) != self.requested:
                continue
            entity = str(param.entity_type)
            cause = "system-entity"
            try:
                found = self.view.find(entity, text)
            except UnclockedDate as bad:
                self.params[self.requested] = self.date_value(self.requested, bad, bad.found[0].value, out)
                return True
            except UnsupportedEntity as bad:
                if not self.recording:
                    raise TurnError(str(bad)) from bad
                found, cause = [], bad.cause
            if found:
                self.params[self.requested] = found[0].value
                self.unknown.pop(self.requested, None)
                return True
            if self.recording and self.view.open_ended(entity):
                # CX's entity may read what the runtime's does not (a system entity's other
                # forms, fuzzy matching): the fill is undecided; the turn follows CX's value
                # where the test case records one.
                out.hold(cause, "parameters", state=False)
                if self.requested in self.recorded_params:
                    self.params[self.requested] = self.recorded_params[self.requested]
                    return True
                if self.asked_again(param):
                    # CX answered with this parameter's own prompt or reprompt: it did not fill
                    # it (decided given CX's answer, as a recorded value is).
                    return False
                # No recorded value: the parameter is filled with a value the runtime cannot
                # read (the utterance stands in for it), and what reads it is undecided.
                self.params[self.requested] = text
                self.unknown[self.requested] = cause
                return True
        return False

    def asked_again(self, param: Msg) -> bool:
        """Whether the recorded turn answers with a text of the parameter's initial prompt or
        reprompt handlers: what CX says when the input did not fill it (FillBehavior)."""
        if not self.recorded_texts:
            return False
        behavior = param.fill_behavior
        fulfillments = [behavior.initial_prompt_fulfillment]
        fulfillments += [h.trigger_fulfillment for h in behavior.reprompt_event_handlers]
        prompts = {
            self.substitute(str(t))
            for f in fulfillments
            for m in f.messages
            if m.WhichOneof("message") == "text"
            for t in m.text.text
        }
        return any(text in prompts for text in self.recorded_texts)

    def date_value(self, name: str, said: UnclockedDate, value: Any, out: TurnOutput) -> Any:
        """The value of a date said relative to an unknown recording day: CX's where the turn
        records it (which may give the day back), else unknown (``relative-time``)."""
        if name in self.recorded_params:
            self.set_clock(said, self.recorded_params[name])
            out.hold(said.cause, "parameters", state=False)
            self.unknown.pop(name, None)
            return self.recorded_params[name]
        self.unknown[name] = said.cause
        return value

    def set_clock(self, said: UnclockedDate, recorded: Any) -> None:
        """The recording day, from a date CX recorded for "today" / "tomorrow": that date less
        the days the form says. Later relative dates of the test case are then decided."""
        if said.days is None or not isinstance(recorded, dict):
            return
        try:
            day = datetime.date(int(recorded["year"]), int(recorded["month"]), int(recorded["day"]))
        except (KeyError, TypeError, ValueError):
            return
        self.clock = day - datetime.timedelta(days=said.days)
        self.clocked = True
        assert self.view is not None
        self.view.today, self.view.clocked = self.clock, True

    def after_fill(self, out: TurnOutput) -> None:
        if not self.evaluate_conditions(out):
            self.prompt_next(out)

    def numbered(self, kind: str) -> str:
        """The built-in event of the nth no-match (no-input) in a row: "If the user's response does
        not fill the parameter, a no-match/no-input event will be triggered, and the fulfillment
        associated with the sys.no-match-1/sys.no-input-1 handler (if defined) will be called ...
        The sys.no-match-2/sys.no-input-2 handler (if defined) will respond to the next
        no-match/no-input event, and so on. A sys.no-match-default or sys.no-input-default handler
        will be used to handle all following no-match/no-input events after 6 events"
        (Form.Parameter.FillBehavior.reprompt_event_handlers reference; N from 1 to 6). Without a
        numbered handler in scope, handle_event falls back to the -default one."""
        key = (kind, self.requested or "")
        count = self.misses.get(key, 0) + 1
        self.misses = {key: count}  # another parameter or event kind starts its own count
        self.missed = True
        return f"{kind}-{count}" if count <= 6 else f"{kind}-default"

    def handle_event(self, event: str, out: TurnOutput) -> None:
        assert self.view is not None
        handlers: list[tuple[str, Msg]] = []
        wanted = [event]
        reprompt = _reprompt_event(event)
        if reprompt:
            wanted.append(event.rsplit("-", 1)[0] + "-default")
        for param in self.form_params():
            if str(param.display_name) != self.requested:
                continue
            own = [h for h in param.fill_behavior.reprompt_event_handlers if str(h.event) in wanted]
            if reprompt and not own:
                # "If the event handler for the corresponding event can't be found on the
                # parameter, initial_prompt_fulfillment will be re-prompted" (FillBehavior
                # reference): the page's and flow's handlers do not answer while it is asked.
                self.fulfill(param.fill_behavior.initial_prompt_fulfillment, out)
                return
            handlers.extend((self.current_page(), h) for h in own)
        page = self.page_msg()
        if page is not None:
            handlers.extend((self.frame.page, h) for h in page.event_handlers)
        handlers.extend((self.frame.flow, h) for h in self.view.flows[self.frame.flow].event_handlers)
        for name in wanted:
            for owner, handler in handlers:
                if str(handler.event) == name:
                    self.fire(owner, handler, out)
                    return
        if event.casefold() == "welcome" and self.welcome(out):
            return
        if not event.startswith("sys.") and event != "webhook.error":
            raise TurnError(f"no handler for event {event!r} on the current page or flow")

    def welcome(self, out: TurnOutput) -> bool:
        """The generic welcome event ``WELCOME`` with no handler of its own: "the default welcome
        intent ... is preconfigured to handle the generic welcome event: WELCOME" (Dialogflow
        docs, Platform events > Welcome events), so the route of the Default Welcome Intent in
        scope fires, as it would for a matched "hi". The Dialogflow Messenger and console send it
        lower-case, hence the case-insensitive name; the agent's default welcome intent has the
        fixed id 00000000-0000-0000-0000-000000000000."""
        assert self.view is not None
        for owner, route in self.scope(with_input=True):
            intent = self.view.intents.get(str(route.intent))
            welcome = intent is not None and intent.name.endswith("/intents/" + DEFAULT_WELCOME)
            if welcome and (not route.condition or self.cond(str(route.condition))):
                out.intent, out.confidence = intent, 1.0
                self.fire(owner, route, out)
                return True
        return False

    # -- transitions ---------------------------------------------------------------------------

    def fire(self, owner: str, route: Msg, out: TurnOutput) -> None:
        """Run a route's or handler's fulfillment and follow its target."""
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise TurnError(f"more than {MAX_STEPS} transitions in one turn (a loop?) at {owner}")
        out.traversed.append((owner, str(route.name)))
        self.fulfill(route.trigger_fulfillment, out)
        if getattr(route, "target_playbook", ""):
            # A playbook answers from here: an LLM, which decides nothing about the turn.
            out.hold("llm")
            if not self.recording:
                raise TurnError("a route hands over to a playbook; the runtime models flows only")
            return
        if route.target_page:
            self.go_page(str(route.target_page), out)
        elif route.target_flow:
            # "when the followed transition route moves the conversation session into a different
            # flow, the matched intent can be carried over and to be consumed in the target flow"
            # (Flow reference): an intent route's intent goes with it.
            self.carried = str(getattr(route, "intent", "") or "")
            self.frame.entered_by = str(route.name)
            self.enter_flow(str(route.target_flow), out)
        elif self.ended or _reprompts(route):
            return
        else:
            self.after_fill(out) if self.evaluate_conditions_needed(route) else self.prompt_next(out)

    def evaluate_conditions_needed(self, route: Msg) -> bool:
        # The page stays current after a route or handler without a target, and its state
        # handlers (condition routes) are evaluated again, as at the page's entry: recorded CX
        # test cases show a `true` condition route's prompt after a target-less intent route
        # (TransitionRoute reference: the fulfillment is called, then the target, if any). A
        # condition route itself does not re-evaluate them (it would fire again, without end).
        return bool(route.DESCRIPTOR.name == "EventHandler") or bool(
            getattr(route, "intent", "") or route.trigger_fulfillment.set_parameter_actions
        )

    def go_page(self, target: str, out: TurnOutput) -> None:
        special = target.rsplit("/", 1)[-1]
        frame = self.frame
        if special == "END_SESSION":
            self.ended = True
            return
        if special == "END_FLOW":
            if len(self.stack) == 1:
                self.ended = True
                return
            self.stack.pop()
            self.requested = None
            # Back on the page that entered the flow: its state handlers run again.
            self.after_fill(out)
            return
        if special == "CURRENT_PAGE":
            target = self.current_page()
        elif special == "PREVIOUS_PAGE":
            target = frame.previous if frame.previous != START else f"{frame.flow}/pages/START_PAGE"
        frame.entered_by = ""
        if target.endswith("/pages/START_PAGE"):
            frame.previous, frame.page = frame.page, START
            self.requested = None
            self.evaluate_conditions(out)
            return
        frame.previous, frame.page = frame.page, target
        self.requested = None
        self.enter_page(out)

    def enter_flow(self, flow: str, out: TurnOutput) -> None:
        self.steps += 1
        self.stack.append(Frame(flow, START))
        self.requested = None
        carried, self.carried = self.carried, ""
        if carried:
            # The carried intent is consumed by the first intent route for it in the new flow's
            # start page scope, before its condition routes.
            for owner, route in self.scope(with_input=True):
                if str(route.intent) == carried and (not route.condition or self.cond(str(route.condition))):
                    self.fire(owner, route, out)
                    return
        self.evaluate_conditions(out)

    def enter_page(self, out: TurnOutput) -> None:
        page = self.page_msg()
        if page is None:
            raise TurnError(f"page {self.frame.page} not found")
        self.fulfill(page.entry_fulfillment, out)
        for param in page.form.parameters:
            name = str(param.display_name)
            if (
                self.params.get(name) is None
                and param.fill_behavior.HasField("initial_prompt_fulfillment") is False
            ):
                pass
            if param.HasField("default_value") and self.params.get(name) is None:
                self.params[name] = value_of(param.default_value)
        self.after_fill(out)

    def evaluate_conditions(self, out: TurnOutput) -> bool:
        """The state handlers: the first condition-only route that holds fires."""
        for owner, route in self.scope(with_input=False):
            if route.intent or not route.condition or str(route.name) == self.frame.entered_by:
                continue
            if self.cond(str(route.condition)):
                self.fire(owner, route, out)
                return True
        return False

    def prompt_next(self, out: TurnOutput) -> None:
        for param in self.form_params():
            name = str(param.display_name)
            if param.required and self.params.get(name) is None:
                self.requested = name
                self.fulfill(param.fill_behavior.initial_prompt_fulfillment, out)
                return
        self.requested = None

    # -- fulfillments --------------------------------------------------------------------------

    def substitute(self, text: str) -> str:
        return self.render(text)[0]

    def render(self, text: str) -> tuple[str, re.Pattern[str] | None]:
        """The text with its parameter references filled, and where some of them read a parameter
        the runtime could not read (Session.unknown), the pattern of every text CX may have said:
        the rest as written, each such reference any text. CX's recorded answer that fits it
        shows the runtime chose the same message; only the value is CX's."""
        slots: list[str] = []

        def value(m: re.Match[str]) -> str:
            found = self.lookup(m.group(0))
            if found is None:
                shown = m.group(0)
            elif isinstance(found, float) and found.is_integer():
                shown = str(int(found))
            elif isinstance(found, dict) and _clock_text(found):
                shown = _clock_text(found)
            else:
                shown = found if isinstance(found, str) else json.dumps(found, ensure_ascii=False)
            if m.group(2) in self.unknown and m.group(1) != "intent":
                slots.append(shown)
                return SLOT
            return shown

        marked = REF_RE.sub(value, text)
        pieces = marked.split(SLOT)
        text = pieces[0] + "".join(v + p for v, p in zip(slots, pieces[1:], strict=True))
        pattern = None
        if "$sys.func." not in text:
            if slots and any(c.isalnum() for c in "".join(pieces)):
                pattern = re.compile("(.*?)".join(re.escape(p) for p in pieces), re.DOTALL)
        else:
            try:
                text = sysfunc.substitute(text, self.lookup)
            except conditions.Unsupported as bad:
                self.unsupported(bad, "messages")
        return text, pattern

    def unsupported(self, bad: conditions.Unsupported, *assertions: str) -> None:
        """A construct outside the subset: a turn error, or in a test run undecided (the turn
        goes on with the text as written)."""
        if not self.recording:
            raise TurnError(str(bad)) from bad
        if str(bad) not in self.out.notes:
            self.out.notes.append(str(bad))
        self.out.hold("unsupported", *assertions)

    def fulfill(self, fulfillment: Msg, out: TurnOutput) -> None:
        for action in fulfillment.set_parameter_actions:
            value = value_of(action.value) if action.HasField("value") else None
            if isinstance(value, str) and sysfunc.REF.fullmatch(value):
                value = self.lookup(value)
            elif isinstance(value, str) and value.lstrip().startswith("$sys.func."):
                # A parameter preset may be an inline system function (System functions reference).
                try:
                    value = sysfunc.value(value, self.lookup)
                except conditions.Unsupported as bad:
                    self.unsupported(bad)
                    value = None
            self.unknown.pop(str(action.parameter), None)
            if value is None:
                self.params.pop(str(action.parameter), None)
            else:
                self.params[str(action.parameter)] = value
        self.messages(fulfillment.messages, out)
        for cases in fulfillment.conditional_cases:
            self.run_cases(cases.cases, out)
        if fulfillment.enable_generative_fallback:
            # Fulfillment.enable_generative_fallback: on no-match an LLM may answer instead.
            out.hold("llm", "messages", state=False)
        if fulfillment.generators:
            # A generator's text is an LLM's answer (Fulfillment.generators): its messages and
            # output parameters (which conditions may then route on) are not the runtime's to know.
            out.hold("llm")
        if fulfillment.webhook:
            self.call_webhook(str(fulfillment.webhook), str(fulfillment.tag), out)

    def messages(self, messages: Any, out: TurnOutput) -> None:
        for message in messages:
            which = message.WhichOneof("message")
            if which == "text":
                rendered = [self.render(str(t)) for t in message.text.text]
                variants = [t for t, _ in rendered]
                if variants:
                    patterns = [p for _, p in rendered if p is not None]
                    out.messages.append(Message(self.rng.choice(variants), variants, patterns=patterns))
            elif which == "payload":
                out.messages.append(Message("", [], value_of(message.payload)))

    def run_cases(self, cases: Any, out: TurnOutput) -> None:
        for case in cases:
            if case.condition and not self.cond(str(case.condition)):
                continue
            for content in case.case_content:
                if content.HasField("message"):
                    self.messages([content.message], out)
                else:
                    for nested in content.additional_cases.cases:
                        self.run_cases([nested], out)
            return


def _reprompt_event(event: str) -> bool:
    """``sys.no-match-*`` / ``sys.no-input-*``: the events that reprompt a form parameter."""
    return event.startswith(("sys.no-match", "sys.no-input"))


def _reprompts(route: Msg) -> bool:
    """A no-match / no-input handler without a target: its fulfillment is the reprompt ("used to
    provide reprompt for the parameter", FillBehavior reference), so nothing is said after it: no
    initial prompt again, no state handler. Recorded CX test cases answer a no-match on a page
    whose `true` condition route prompts with the handler's text alone."""
    return _reprompt_event(str(getattr(route, "event", "")))


def _clock_text(value: dict[str, Any]) -> str:
    """A @sys.date / @sys.time value ({year, month, day} / {hours, minutes, seconds}) as a text
    response shows it: ISO 2021-03-04, 10:00:00 (what CX wrote in recorded test cases)."""

    def part(key: str) -> int:
        item = value.get(key, 0)
        return int(item) if isinstance(item, (int, float)) else -1

    date = (
        f"{part('year'):04d}-{part('month'):02d}-{part('day'):02d}"
        if {"year", "month", "day"} <= value.keys()
        else ""
    )
    time = f"{part('hours'):02d}:{part('minutes'):02d}:{part('seconds'):02d}" if "hours" in value else ""
    if -1 in (part(k) for k in value if k != "nanos") or not (date or time):
        return ""
    return f"{date}T{time}" if date and time else date or time
