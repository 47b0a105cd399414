"""Webhook calls of a session: a fixture's answer where one is set (docs/webhook-fixtures.md), a
call to a webhook on this machine, or a skip reported with the turn (the stand-in calls no
other host)."""

from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from cxops.fake.protoutil import Msg
from cxops.fake.runtime.agentview import AgentView
from cxops.fake.runtime.turn import Message, TurnError, TurnOutput


class WebhookCalls:
    """The webhook half of :class:`cxops.fake.runtime.session.Session` (a mixin: it reads the
    session's agent view and parameters, and raises webhook.error through its event handling)."""

    service: Any
    view: AgentView | None
    params: dict[str, Any]
    webhooks_enabled: bool

    def handle_event(self, event: str, out: TurnOutput) -> None:
        raise NotImplementedError

    def call_webhook(self, name: str, tag: str, out: TurnOutput) -> None:
        assert self.view is not None
        hook = self.view.webhooks.get(name)
        display = str(hook.display_name) if hook is not None else name
        uri = str(hook.generic_web_service.uri) if hook is not None else ""
        fixture = self.fixture(display, tag)
        if fixture is not None:
            self.apply_answer(fixture, out)
            return
        if not uri or not _loopback(uri):
            # The stand-in calls only webhooks on this machine. Any other is skipped: the turn goes
            # on as if it answered nothing (test cases stand in for it with injected parameters),
            # and the skip is reported with the turn.
            out.webhook_skipped.append(f"webhook {display} ({uri or 'no URI'}) skipped: not a loopback host")
            # What it would have answered (messages, parameters, a target page) is unknown, unless
            # the test turn has webhooks off: UserInput.is_webhook_enabled, "If webhooks should be
            # allowed to trigger in response to the user utterance" (v3 reference), so CX skips it too.
            if self.webhooks_enabled:
                out.hold("webhook")
            return
        try:
            self.post(hook, uri, tag, out)
        except (OSError, ValueError) as bad:
            # A webhook that is there and fails raises webhook.error, as on the real service.
            out.webhook_errors.append(f"webhook {display}: {uri}: {bad}")
            self.handle_event("webhook.error", out)

    def post(self, hook: Msg, uri: str, tag: str, out: TurnOutput) -> None:
        body = {
            "fulfillmentInfo": {"tag": tag},
            "sessionInfo": {"parameters": self.params},
            "languageCode": self.view.language if self.view else "",
        }
        request = urllib.request.Request(
            uri,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **dict(hook.generic_web_service.request_headers)},
        )
        timeout = float(hook.timeout.seconds) or 5.0
        with urllib.request.urlopen(request, timeout=min(timeout, 5.0)) as response:
            answer = json.loads(response.read() or b"{}")
        self.apply_answer(answer, out)

    def fixture(self, webhook: str, tag: str) -> dict[str, Any] | None:
        """The answer from the fixtures folder, if one is set and holds one (docs/webhook-fixtures.md):
        ``DIR/<webhook display name>/<tag>.json``, else ``DIR/<webhook display name>.json``. The
        file holds a WebhookResponse (JSON), or a list of ``{"match": {"tag": …, "parameters":
        {…}}, "response": {…}}`` whose first entry matching the request answers (a match names
        what must equal: the tag, and session parameters by name)."""
        folder = getattr(self.service, "webhook_fixtures", None)
        if folder is None:
            return None
        candidates = ([folder / webhook / f"{tag}.json"] if tag else []) + [folder / f"{webhook}.json"]
        for path in candidates:
            if not path.is_file():
                continue
            try:
                answer = json.loads(path.read_text(encoding="utf-8"))
            except ValueError as bad:
                raise TurnError(f"webhook fixture {path}: {bad}") from bad
            if isinstance(answer, dict):
                return answer
            if not isinstance(answer, list):
                raise TurnError(f"webhook fixture {path}: neither a JSON object nor a list of them")
            for i, entry in enumerate(answer):
                if not isinstance(entry, dict) or not isinstance(entry.get("response"), dict):
                    raise TurnError(f"webhook fixture {path}: entry {i + 1} has no response object")
                if self.matches(entry.get("match") or {}, tag):
                    return dict(entry["response"])
        return None

    def matches(self, want: Any, tag: str) -> bool:
        if not isinstance(want, dict):
            return False
        if "tag" in want and want["tag"] != tag:
            return False
        params = want.get("parameters") or {}
        return isinstance(params, dict) and all(self.params.get(k) == v for k, v in params.items())

    def apply_answer(self, answer: dict[str, Any], out: TurnOutput) -> None:
        for message in answer.get("fulfillmentResponse", {}).get("messages", []):
            texts = [str(t) for t in message.get("text", {}).get("text", [])]
            if texts:
                out.messages.append(Message(texts[0], texts))
        for key, value in answer.get("sessionInfo", {}).get("parameters", {}).items():
            if value is None:
                self.params.pop(key, None)
            else:
                self.params[key] = value


def _loopback(uri: str) -> bool:
    host = urllib.parse.urlsplit(uri).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
