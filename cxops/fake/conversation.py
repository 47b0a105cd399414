"""The runtime's RPCs: Sessions.DetectIntent, TestCases.RunTestCase / BatchRunTestCases /
ListTestCaseResults / GetTestCaseResult / CalculateCoverage.

Results live in memory (not in the state file). BatchRunTestCases answers at once with an
operation whose response is a BatchRunTestCasesResponse, as RunTestCase's is a
RunTestCaseResponse (v3 reference, TestCases service).
"""

from __future__ import annotations

from typing import Any

from google.cloud import dialogflowcx_v3 as cx
from google.protobuf import json_format, struct_pb2, timestamp_pb2

from cxops.fake.kinds import KINDS
from cxops.fake.protoutil import Msg
from cxops.fake.rpcerrors import invalid, not_found
from cxops.fake.runtime.coverage import calculate
from cxops.fake.runtime.session import Session, TurnError
from cxops.fake.runtime.testrun import run_case
from cxops.fake.store import agent_of, parent_of


def _pb(message: Any) -> Msg:
    return type(message).pb(message)


class Conversations:
    def __init__(self, service: Any) -> None:
        self.service = service
        self.results: dict[str, list[Msg]] = {}  # test case -> results, newest first
        self.sessions: dict[str, Session] = {}

    def _err(self, message: str) -> Exception:
        return invalid(message)

    def run_one(self, name: str, environment: str) -> Msg:
        entry = self.service.entry(name, KINDS["testCases"])
        agent = agent_of(name)
        if environment:
            # RunTestCaseRequest.environment / BatchRunTestCasesRequest.environment: "If not
            # set, draft environment is assumed" (v3 reference): a named one runs its versions.
            if not environment.startswith(f"{agent}/environments/"):
                raise self._err(f"environment {environment!r} is not an environment of {agent}.")
            self.service.entry(environment, KINDS["environments"])
        result, _ = run_case(self.service, agent, entry.base, seed=0, environment=environment)
        result.name = f"{name}/results/{self.service.new_id()}"
        result.environment = environment
        now = timestamp_pb2.Timestamp()
        now.GetCurrentTime()
        result.test_time.CopyFrom(now)
        self.results.setdefault(name, []).insert(0, result)
        entry.base.last_test_result.CopyFrom(result)
        return result

    def run_test_case(self, request: Msg) -> Msg:
        result = self.run_one(str(request.name), str(request.environment))
        response = _pb(cx.RunTestCaseResponse())
        response.result.CopyFrom(result)
        return self.service.operation(str(request.name), response, _pb(cx.RunTestCaseMetadata()))

    def batch_run_test_cases(self, request: Msg) -> Msg:
        parent = str(request.parent)
        self.service.entry(parent, KINDS["agents"])
        if not request.test_cases:
            raise self._err("test_cases is required.")
        response = _pb(cx.BatchRunTestCasesResponse())
        for name in request.test_cases:
            if parent_of(str(name)) != parent:
                raise self._err(f"{name} is not a test case of {parent}.")
            self.service.entry(str(name), KINDS["testCases"])
        for name in request.test_cases:
            result = self.run_one(str(name), str(request.environment))
            response.results.append(result)
        return self.service.operation(parent, response, _pb(cx.BatchRunTestCasesMetadata()))

    def list_test_case_results(self, request: Msg) -> Msg:
        parent = str(request.parent)
        if parent.endswith("/testCases/-"):
            agent = parent.rsplit("/testCases/", 1)[0]
            found = [r for case, rs in self.results.items() if case.startswith(agent + "/") for r in rs]
        else:
            self.service.entry(parent, KINDS["testCases"])
            found = list(self.results.get(parent, []))
        from cxops.fake.store import Entry

        entries = [Entry(kind=KINDS["testCases"], name=str(r.name), base=r) for r in found]
        page, token = self.service.page(request, parent + "/results", entries)
        response = _pb(cx.ListTestCaseResultsResponse())
        response.test_case_results.extend(e.base for e in page)
        response.next_page_token = token
        return response

    def get_test_case_result(self, request: Msg) -> Msg:
        name = str(request.name)
        for result in self.results.get(name.rsplit("/results/", 1)[0], []):
            if result.name == name:
                return result

        raise not_found(name)

    def calculate_coverage(self, request: Msg) -> Msg:
        agent = str(request.agent)
        self.service.entry(agent, KINDS["agents"])
        return calculate(self.service, agent, int(request.type_))

    def detect_intent(self, request: Msg) -> Msg:
        name = str(request.session)
        agent = agent_of(name)
        self.service.entry(agent, KINDS["agents"])
        if "/sessions/" not in name:
            raise self._err(f"session {name!r} is not of the form <agent>/sessions/<id>.")
        query = request.query_input
        language = self.service.language(agent, str(query.language_code))
        session = self.sessions.get(name)
        if session is None:
            # Sessions under <agent>/environments/<E>/sessions/ talk to that environment (v3
            # DetectIntentRequest.session: "projects/<P>/locations/<L>/agents/<A>/environments/
            # <E>/sessions/<S>"; without environments/<E>, the draft).
            environment = name.split("/sessions/")[0] if "/environments/" in name else ""
            if environment:
                self.service.entry(environment, KINDS["environments"])
            session = self.sessions[name] = Session(self.service, agent, seed=0, environment=environment)
            session.start()
        injected = (
            json_format.MessageToDict(request.query_params.parameters)
            if request.query_params.HasField("parameters")
            else None
        )
        which = query.WhichOneof("input")
        if which not in ("text", "event"):
            raise self._err("cxops fake answers text and event input only.")
        try:
            out = session.turn(
                language,
                text=str(query.text.text) if which == "text" else "",
                event=str(query.event.event) if which == "event" else "",
                injected=injected,
            )
        except TurnError as bad:
            raise self._err(f"cxops fake: {bad}") from bad
        response = _pb(cx.DetectIntentResponse())
        response.response_id = self.service.new_id()
        result = response.query_result
        if which == "text":
            result.text = str(query.text.text)
        else:
            result.trigger_event = str(query.event.event)
        result.language_code = language
        json_format.ParseDict(session.params, result.parameters)
        for message in out.messages:
            response_message = result.response_messages.add()
            if message.payload is None:
                response_message.text.text.append(message.text)
            else:
                json_format.ParseDict(message.payload, response_message.payload)
        view = session.view
        assert view is not None
        page = session.current_page()
        result.current_page.name = page
        result.current_page.display_name = (
            "Start Page" if page.endswith("/START_PAGE") else view.display(page)
        )
        if out.intent is not None:
            result.intent.name = out.intent.name
            result.intent.display_name = out.intent.display_name
            result.intent_detection_confidence = out.confidence
            result.match.intent.name = out.intent.name
            result.match.intent.display_name = out.intent.display_name
            result.match.confidence = out.confidence
            result.match.match_type = int(cx.Match.MatchType.INTENT)
        elif out.event:
            result.match.event = out.event
            result.match.match_type = int(cx.Match.MatchType.EVENT)
        elif which == "text":
            result.match.match_type = int(cx.Match.MatchType.NO_MATCH)
        for error in out.webhook_errors:
            status = result.webhook_statuses.add()
            status.code = 14
            status.message = error
        return response


def empty_struct() -> struct_pb2.Struct:
    return struct_pb2.Struct()
