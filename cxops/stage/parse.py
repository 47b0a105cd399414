"""Parsing one stage file: every key known, every value of the right type and shape, each
refusal one ConfigError at the file, line and key (the rules: cxops.stage.config's docstring)."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from cxops.cx.ratelimit import RateLimits
from cxops.errors import ConfigError, Location, ValidationError
from cxops.model import datastores
from cxops.repo.yamlio import Positions, load_with_positions
from cxops.stage.secrets import _SOURCE_FORMS, CI_ENV_PREFIXES, source_refusal
from cxops.stage.value import (
    _AGENT_NAME,
    DEFAULT_ENV_PREFIX,
    KIND_FOLDERS,
    SINGLETON_KEYS,
    Stage,
    _bad_stage_name,
    agent_of_name,
    is_stage_name,
    qualify,
    stage_file,
)

_PROJECT_ID = re.compile(r"^(?:[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)+:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$")
# Multi-regions are letters only; a plain word other than these is more likely a typo of
# "global" than a location, so it is refused rather than sent to a host that does not exist.
_MULTI_REGIONS = ("global", "us", "eu")
_REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")
# An id is the last segment of a resource name: no slash. Real ids are UUIDs, emulators may differ.
_AGENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_ENV_VAR = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# What ${secret:NAME} can hold (cxops.model.secrets.PLACEHOLDER: anything but "}"), minus
# what would make the name unreadable or differ invisibly from the tree's.
_PLACEHOLDER_NAME = re.compile(r"^[^\s{}$\x00-\x1f\x7f](?:[^{}$\x00-\x1f\x7f]*[^\s{}$\x00-\x1f\x7f])?$")
_PLACEHOLDER_USE = re.compile(r"\$\{secret:([^}]*)\}")
_FIELD_SEGMENT = re.compile(r"^\S(?:.*\S)?$")

_TOP_KEYS = (
    "agent",
    "project",
    "location",
    "agent_id",
    "agent_display_name",
    "protected",
    "approvals_required",
    "approvals",
    "source",
    "overrides",
    "data_stores",
    "secrets",
    "secrets_env_prefix",
    "secrets_dir",
    "rate_limits",
    "tests",
    "preview",
    "versions",
    "environment",
)
VERSIONS_MODES = ("on_apply",)
# What a preview stage's agent_display_name template may hold.
PREVIEW_FIELDS = ("agent", "branch")
_TEMPLATE_FIELD = re.compile(r"\{([^{}]*)\}")
_TESTS_KEYS = ("required", "on", "undecided")
_RATE_KEYS = ("reads_per_minute", "writes_per_minute")


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _kind_name(value: Any) -> str:
    """What a value is, without quoting it (for values that may be secrets)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, (int, float)):
        return "a number"
    return "a mapping" if isinstance(value, dict) else "a list"


class _Reader:
    """Checks one stage file's data, raising at the line of the offending key."""

    def __init__(self, file: str, positions: Positions) -> None:
        self.file = file
        self.positions = positions

    def fail(self, path: Sequence[str | int], message: str) -> NoReturn:
        raise ConfigError(message, self.positions.location(path))

    def missing(self, data: Mapping[str, Any], key: str, message: str) -> NoReturn:
        """A required key that is absent (no line to name) or null (its own line)."""
        line = self.positions.line((key,)) if key in data else None
        raise ConfigError(message, Location(self.file, line, key))

    def text(self, path: Sequence[str | int], value: Any, what: str = "text") -> str:
        if not isinstance(value, str):
            self.fail(path, f"must be {what}, not {_type_name(value)}")
        return value

    def mapping(self, path: Sequence[str | int], value: Any, what: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(path, f"must be a mapping of {what}, not {_type_name(value)}")
        return value

    def known_keys(self, path: tuple[str, ...], data: Mapping[str, Any], known: Sequence[str]) -> None:
        for key in data:
            if key not in known:
                hint = _did_you_mean(key, known) or f" (known keys: {', '.join(known)})"
                self.fail((*path, key), f"unknown key{hint}")

    def agent(self, value: Any) -> str:
        text = self.text(("agent",), value, "the name of a tree under agents/")
        if not _AGENT_NAME.match(text):
            self.fail(
                ("agent",),
                f"{text!r} is not an agent name: use lowercase letters, digits, '.', '-' and '_',"
                " starting with a letter or digit",
            )
        return text

    def project(self, value: Any) -> str:
        path = ("project",)
        if isinstance(value, int) and not isinstance(value, bool):
            self.fail(path, "write the project id, not its number")
        text = self.text(path, value, "a project id")
        if not _PROJECT_ID.match(text):
            self.fail(
                path,
                f"{text!r} is not a project id: 6 to 30 lowercase letters, digits or hyphens,"
                " starting with a letter and not ending with a hyphen",
            )
        return text

    def location(self, value: Any) -> str:
        text = self.text(("location",), value, "a CX location")
        if text not in _MULTI_REGIONS and not _REGION.match(text):
            self.fail(
                ("location",),
                f"{text!r} is not a CX location: use global, us, eu or a region such as"
                f" us-central1 or europe-west1{_did_you_mean(text, _MULTI_REGIONS)}",
            )
        return text

    def agent_id(self, value: Any) -> str:
        path = ("agent_id",)
        text = self.text(path, value, "the agent's id")
        if "/agents/" in text:
            self.fail(
                path,
                "write only the id after /agents/: project and location are keys of their own",
            )
        if not _AGENT_ID.match(text):
            self.fail(path, f"{text!r} is not an agent id (the last part of the agent's resource name)")
        return text

    def display_name(self, value: Any) -> str:
        text = self.text(("agent_display_name",), value, "the agent's display name")
        if not text.strip():
            self.fail(("agent_display_name",), "must not be empty")
        return text

    def display_name_of(self, path: Sequence[str | int], value: Any) -> str:
        text = self.text(path, value, "a display name")
        if not text.strip():
            self.fail(path, "must not be empty")
        return text

    def boolean(self, path: Sequence[str | int], value: Any) -> bool:
        if not isinstance(value, bool):
            self.fail(path, f"must be true or false, not {_type_name(value)}")
        return value

    def count(self, path: Sequence[str | int], value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(path, f"must be a whole number, 0 or more, not {_type_name(value)}")
        return value

    def preview(self, agent_id: str | None, display_name: str | None, protected: bool) -> None:
        """A preview stage names no agent: its display name is a template per branch."""
        if agent_id is not None:
            self.fail(
                ("agent_id",),
                "a preview stage makes one agent per branch: use agent_display_name with {branch},"
                ' e.g. "{agent} · {branch}"',
            )
        if protected:
            self.fail(("protected",), "a preview stage cannot be protected: its agents are developers' own")
        template = str(display_name)
        fields = _TEMPLATE_FIELD.findall(template)
        for name in fields:
            if name not in PREVIEW_FIELDS:
                self.fail(
                    ("agent_display_name",),
                    f"unknown placeholder {{{name}}}: a preview name may hold {{agent}} and {{branch}}",
                )
        if "branch" not in fields:
            self.fail(
                ("agent_display_name",),
                'a preview stage\'s name needs {branch}, e.g. "{agent} · {branch}": each branch has its own agent',
            )

    def source(self, value: Any) -> str:
        text = self.text(("source",), value, "a stage name")
        if not is_stage_name(text):
            self.fail(("source",), _bad_stage_name(text))
        return text

    def rate_limits(self, value: Any) -> RateLimits:
        data = self.mapping(("rate_limits",), value, "limits (reads_per_minute, writes_per_minute)")
        self.known_keys(("rate_limits",), data, _RATE_KEYS)
        limits: dict[str, float | None] = {}
        for key in _RATE_KEYS:
            limit = data.get(key)
            if limit is not None and (
                isinstance(limit, bool)
                or not isinstance(limit, (int, float))
                or not (limit > 0 and math.isfinite(limit))
            ):
                self.fail(("rate_limits", key), f"must be a positive number, not {_type_name(limit)}")
            limits[key] = limit
        return RateLimits(**limits)

    def tests(self, value: Any, stage: str) -> tuple[bool, str | None, bool]:
        if value == "required":
            return True, None, False
        if not isinstance(value, dict):
            self.fail(
                ("tests",),
                f"must be required or a mapping {{required: true, on: STAGE}}, not {_type_name(value)}",
            )
        self.known_keys(("tests",), value, _TESTS_KEYS)
        required = (
            False if value.get("required") is None else self.boolean(("tests", "required"), value["required"])
        )
        on = value.get("on")
        if on is not None:
            on = self.text(("tests", "on"), on, "a stage name")
            if not is_stage_name(on):
                self.fail(("tests", "on"), _bad_stage_name(on))
            on = qualify(on, stage)
            if on == stage:
                self.fail(
                    ("tests", "on"), "names this stage: a live run here tests what is live, not the plan"
                )
        undecided = value.get("undecided", "fail")
        if undecided not in ("allow", "fail"):
            self.fail(("tests", "undecided"), f"must be allow or fail, not {undecided!r}")
        return required, on, undecided == "allow"

    def overrides(self, value: Any) -> dict[str, dict[str, Any]]:
        data = self.mapping(("overrides",), value, "resource keys to field values")
        result: dict[str, dict[str, Any]] = {}
        for key, fields in data.items():
            path = ("overrides", key)
            self.override_key(path, key)
            entries = self.mapping(path, fields, "field paths to values")
            for field_path in entries:
                self.field_path((*path, field_path), field_path)
            result[key] = entries
        return result

    def data_stores(self, value: Any) -> dict[str, str]:
        data = self.mapping(("data_stores",), value, "data store ids in the tree to this stage's ids")
        owner: dict[str, str] = {}
        for key, store in data.items():
            path = ("data_stores", key)
            for text in (key, self.text(path, store, "a data store id")):
                if "/" in text:
                    self.fail(path, "write only the data store id: project and location are the stage's")
                if not datastores.ID.match(text):
                    self.fail(
                        path,
                        f"{text!r} is not a data store id (lowercase letters, digits, '-' and '_', at most 63)",
                    )
            if store in owner:
                self.fail(
                    path,
                    f"{owner[store]} and {key} both become {store}: pull could not tell which the tree names",
                )
            owner[store] = key
        return dict(data)

    def override_key(self, path: tuple[str, ...], key: str) -> None:
        folder, slash, name = key.partition("/")
        if folder in SINGLETON_KEYS:
            if slash:
                self.fail(path, f"{folder} takes no display name: write {folder!r}")
            return
        if folder not in KIND_FOLDERS:
            known = (*SINGLETON_KEYS, *KIND_FOLDERS)
            hint = _did_you_mean(folder, known) or f" (kinds: {', '.join(known)})"
            self.fail(path, f"unknown kind folder {folder!r}{hint}")
        if not name:
            self.fail(path, f"name the resource: {folder}/<display name>")

    def field_path(self, path: tuple[str, ...], field_path: str) -> None:
        segments = field_path.split(".")
        if not all(_FIELD_SEGMENT.match(segment) for segment in segments):
            self.fail(path, "is not a field path: field names joined by '.', e.g. generic_web_service.uri")
        if segments[0] == "display_name":
            self.fail(path, "a resource's display name is its key: it cannot differ per stage")

    def env_prefix(self, value: Any) -> str:
        prefix = self.text(("secrets_env_prefix",), value)
        if not _ENV_VAR.match(prefix):
            self.fail(
                ("secrets_env_prefix",), "must be the start of a variable name: letters, digits and '_'"
            )
        if prefix.startswith(CI_ENV_PREFIXES) or any(p.startswith(prefix) for p in CI_ENV_PREFIXES):
            self.fail(("secrets_env_prefix",), f"{prefix} would admit the CI system's own variables")
        return prefix

    def secrets(self, value: Any) -> dict[str, str]:
        data = self.mapping(("secrets",), value, f"placeholder names to {_SOURCE_FORMS}")
        for name, source in data.items():
            path = ("secrets", name)
            if not _PLACEHOLDER_NAME.match(name):
                self.fail(
                    path,
                    "is not a placeholder name: the NAME of ${secret:NAME}, without '{', '}', '$',"
                    " control characters or spaces at either end",
                )
            # The text is never quoted back: a malformed source may be the secret itself.
            if not isinstance(source, str):
                self.fail(path, f"must be {_SOURCE_FORMS}, not {_kind_name(source)}")
            scheme, colon, ref = source.partition(":")
            if scheme == "env" and colon:
                if not _ENV_VAR.match(ref):
                    self.fail(
                        path, "env: needs a variable name: letters, digits and '_', not starting with a digit"
                    )
            elif scheme == "file" and colon:
                if not ref.strip():
                    self.fail(path, "file: needs a path")
            else:
                self.fail(path, f"must be {_SOURCE_FORMS} (a secret's value never goes in a stage file)")
        return data

    def placeholders_listed(
        self, overrides: Mapping[str, Mapping[str, Any]], secrets: Mapping[str, str]
    ) -> None:
        """An override that uses ``${secret:X}`` needs X under ``secrets``."""
        for key, fields in overrides.items():
            for field_path, value in fields.items():
                for name in _placeholders_in(value):
                    if name not in secrets:
                        self.fail(
                            ("overrides", key, field_path),
                            f"uses ${{secret:{name}}}, which secrets does not list",
                        )


def _placeholders_in(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield from _PLACEHOLDER_USE.findall(value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _placeholders_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from _placeholders_in(item)


def parse_stage(text: str, name: str, file: str | None = None, root: Path | None = None) -> Stage:
    """A :class:`Stage` from the text of its file (``file`` defaults to ``environments/<name>.yaml``)."""
    file = stage_file(name) if file is None else file
    try:
        data, positions = load_with_positions(text, file)
    except ValidationError as error:
        # Same place and words, under the error class the CLI reports for configuration.
        raise ConfigError(error.message, error.location) from None
    reader = _Reader(file, positions)
    if data is None:
        raise ConfigError("is empty: a stage needs at least agent, project and agent_id", Location(file))
    if not isinstance(data, dict):
        reader.fail((), f"must be a mapping of settings, not {_type_name(data)}")
    reader.known_keys((), data, _TOP_KEYS)

    def get(key: str) -> Any:
        return data.get(key)

    folder_agent = agent_of_name(name)
    for key in ("project",) if folder_agent else ("agent", "project"):
        if get(key) is None:
            reader.missing(data, key, "is required")
    # In environments/AGENT/STAGE.yaml the folder names the agent; `agent:` may repeat it.
    agent = reader.agent(get("agent")) if get("agent") is not None or folder_agent is None else folder_agent
    if folder_agent is not None and agent != folder_agent:
        reader.fail(
            ("agent",),
            f"this file is in environments/{folder_agent}/, the stages of agent {folder_agent!r}:"
            f" write agent: {folder_agent}, or move the file to environments/{agent}/",
        )
    project = reader.project(get("project"))
    location = "global" if get("location") is None else reader.location(get("location"))
    agent_id = None if get("agent_id") is None else reader.agent_id(get("agent_id"))
    display_name = (
        None if get("agent_display_name") is None else reader.display_name(get("agent_display_name"))
    )
    if agent_id is None and display_name is None:
        reader.missing(data, "agent_id", "is required, or agent_display_name instead")
    if agent_id is not None and display_name is not None:
        # Reported at the later of the two: that is usually the line just added.
        later = max(("agent_id", "agent_display_name"), key=lambda k: positions.line((k,)) or 0)
        reader.fail((later,), "give agent_id or agent_display_name, not both")
    protected = False if get("protected") is None else reader.boolean(("protected",), get("protected"))
    if get("approvals_required") is None:
        approvals = 1 if protected else 0
    else:
        approvals = reader.count(("approvals_required",), get("approvals_required"))
        if protected and approvals < 1:
            reader.fail(("approvals_required",), "must be at least 1 on a protected stage")
    signed = True
    if get("approvals") is not None:
        settings = reader.mapping(("approvals",), get("approvals"), "approval settings ({signed: false})")
        reader.known_keys(("approvals",), settings, ("signed",))
        if settings.get("signed") is not None:
            signed = reader.boolean(("approvals", "signed"), settings["signed"])
    source = None if get("source") is None else qualify(reader.source(get("source")), name)
    overrides = reader.overrides(get("overrides"))
    data_stores = reader.data_stores(get("data_stores"))
    env_prefix = (
        DEFAULT_ENV_PREFIX
        if get("secrets_env_prefix") is None
        else reader.env_prefix(get("secrets_env_prefix"))
    )
    secrets_dir = None if get("secrets_dir") is None else reader.text(("secrets_dir",), get("secrets_dir"))
    secrets = reader.secrets(get("secrets"))
    for placeholder, secret_source in secrets.items():
        refusal = source_refusal(secret_source, env_prefix, root, secrets_dir)
        if refusal is not None:
            reader.fail(("secrets", placeholder), refusal)
    reader.placeholders_listed(overrides, secrets)
    rate_limits = reader.rate_limits(get("rate_limits"))
    tests_required, tests_on, tests_allow_undecided = (
        (False, None, False) if get("tests") is None else reader.tests(get("tests"), name)
    )
    preview = False if get("preview") is None else reader.boolean(("preview",), get("preview"))
    if preview:
        reader.preview(agent_id, display_name, protected)
    versions = None
    if get("versions") is not None:
        versions = reader.text(("versions",), get("versions"), "on_apply")
        if versions not in VERSIONS_MODES:
            reader.fail(
                ("versions",),
                f"must be {' or '.join(VERSIONS_MODES)}, not {versions!r}{_did_you_mean(versions, VERSIONS_MODES)}",
            )
    environment = None
    if get("environment") is not None:
        environment = reader.display_name_of(("environment",), get("environment"))
        if preview:
            reader.fail(("environment",), "a preview stage makes agents, it cannot be an environment")
    return Stage(
        name=name,
        file=file,
        agent=agent,
        project=project,
        location=location,
        agent_id=agent_id,
        agent_display_name=display_name,
        protected=protected,
        approvals_required=approvals,
        approvals_signed=signed,
        source=source,
        overrides=overrides,
        data_stores=data_stores,
        secrets=secrets,
        secrets_env_prefix=env_prefix,
        secrets_dir=secrets_dir,
        rate_limits=rate_limits,
        tests_required=tests_required,
        tests_on=tests_on,
        tests_allow_undecided=tests_allow_undecided,
        preview=preview,
        versions=versions,
        environment=environment,
        root=root,
        positions=positions,
    )
