"""`cxops test`: run an agent's own test cases, live on a stage or offline in a stand-in.

Live: the stage's agent runs them with ``BatchRunTestCases`` (in the stage's CX environment
where the stage names one), paced by the stage's rate limits. Offline: the content (a tree,
``git:REF``, a package, or a stage's desired state) is restored into a new agent of a stand-in
whose address the caller gives (the CLI starts one), and runs there.

Either way the result says which content was tested: its fingerprint, and for every stage the
fingerprint of that stage's desired state made of it — what the gate compares with a plan's.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cxops.core import testresults as tr
from cxops.core.approvals import approval_key
from cxops.core.plan import comparable, fingerprint
from cxops.core.testresults import TestRun
from cxops.cx import ConnectionSettings, CxSession
from cxops.cx import testruns as api
from cxops.errors import ApiError, ConfigError, CxopsError, ValidationError
from cxops.model.snapshot import Snapshot
from cxops.package.files import write_zip
from cxops.package.writer import package_files
from cxops.stage import overrides
from cxops.stage.config import Stage, find_stage, load_stage, load_stages
from cxops.workflows import backups
from cxops.workflows.live import Via, agent_name, open_session, read_content
from cxops.workflows.planning import now
from cxops.workflows.preview import pinned
from cxops.workflows.sources import load_source

OFFLINE_PARENT = "projects/cxops-test/locations/global"


@dataclass(frozen=True)
class Options:
    tags: tuple[str, ...] = ()
    only: tuple[str, ...] = ()
    coverage: bool = False
    minimums: Mapping[str, float] = field(default_factory=dict)
    validate: bool = False
    # Offline: an undecided test fails the run too (live runs decide everything).
    require_decided: bool = False


def run_stage(
    root: Path,
    stage_name: str,
    emulator_host: str | None,
    endpoint: str | None,
    options: Options,
    branch: str | None = None,
) -> TestRun:
    """The test cases of the stage's live agent, run there (a preview stage: the branch's own
    agent, ``branch`` defaulting to the one checked out)."""
    stage = pinned(root, load_stage(root, stage_name), branch, emulator_host, endpoint)
    live, _ = read_content(root, stage, Via.export, emulator_host, endpoint)
    with open_session(stage, emulator_host, endpoint) as session:
        agent = agent_name(session, stage)
        environment = _environment(session, agent, stage)
        cases, coverage, validation = _execute(session, agent, environment, options, offline=False)
    return _sign(
        TestRun(
            target=stage.name,
            mode="live",
            agent=stage.agent,
            created_at=now(),
            content_fingerprint=fingerprint(comparable(live.snapshot)),
            # A CX environment serves flow versions, not the draft read here: such a run vouches
            # for no desired state.
            desired_fingerprints={} if stage.environment else _vouched(root, live.snapshot, None),
            cases=cases,
            environment=environment,
            tags=options.tags,
            only=options.only,
            coverage=coverage,
            validation=validation,
        )
    )


def run_offline(root: Path, target: str | None, address: str, options: Options) -> TestRun:
    """The test cases of a tree, ``git:REF``, package or stage's desired state, run in the
    stand-in at ``address`` on a new agent restored from that content."""
    spec = target or _only_tree(root)
    stage = _stage(root, spec)
    vouched: dict[str, str] | None = None
    if spec.startswith("backup:"):
        # A backup is its stage's own past state, overrides in (what `cxops rollback` plans):
        # the result vouches for that stage's rollback to it.
        path = Path(spec[len("backup:") :])
        content = deployed = backups.load(path if path.is_absolute() else root / path)
        owner = load_stage(root, path.parent.name)
        agent_label = owner.agent
        vouched = {owner.name: fingerprint(comparable(content))}
    elif stage is not None:
        # A stage's desired state: its tree with its overrides, as apply would deploy it.
        content = load_source(root, f"agents/{stage.agent}", None, None).snapshot
        deployed = overrides.apply(content, stage)
        agent_label = stage.agent
    else:
        content = load_source(root, spec, None, None).snapshot
        deployed = content
        agent_label = Path(spec.rstrip("/").split(":")[-1] or spec).name
    session = CxSession(ConnectionSettings(emulator_host=address))
    with session:
        agent = _restore(session, deployed)
        cases, coverage, validation = _execute(session, agent, None, options, offline=True)
    return _sign(
        TestRun(
            target=spec,
            mode="offline",
            agent=agent_label,
            created_at=now(),
            content_fingerprint=fingerprint(comparable(content)),
            desired_fingerprints=_vouched(root, content, stage) if vouched is None else vouched,
            cases=cases,
            tags=options.tags,
            only=options.only,
            coverage=coverage,
            validation=validation,
            require_decided=options.require_decided,
        )
    )


# ---------------------------------------------------------------------------------------------


def _sign(run: TestRun) -> TestRun:
    key = approval_key()
    return run if key is None else dataclasses.replace(run, signature=tr.sign(key, run.hash))


def _stage(root: Path, spec: str) -> Stage | None:
    if ":" in spec or find_stage(root, spec) is None:
        return None
    return load_stage(root, spec)


def _only_tree(root: Path) -> str:
    trees = sorted(p.parent.name for p in (root / "agents").glob("*/agent.yaml"))
    if len(trees) == 1:
        return f"agents/{trees[0]}"
    found = ", ".join(trees) or "none"
    raise ConfigError(
        f"name what to test: a tree, git:REF, a package or a stage (trees under agents/: {found})"
    )


def _vouched(root: Path, content: Snapshot, only: Stage | None) -> dict[str, str]:
    """Stage -> fingerprint of the desired state that stage would have with ``content`` (as
    planning computes it: the content, the stage's overrides, comparable form)."""
    stages = [only] if only is not None else list(load_stages(root).values())
    out: dict[str, str] = {}
    for stage in stages:
        try:
            out[stage.name] = fingerprint(comparable(overrides.apply(content, stage)))
        except CxopsError:
            continue  # overrides that do not fit this content: it is no desired state of that stage
    return out


def _environment(session: CxSession, agent: str, stage: Stage) -> str | None:
    # An environment stage: the tests run what that CX environment serves.
    if not stage.environment:
        return None
    try:
        return api.environment_name(session, agent, stage.environment)
    except ConfigError as err:
        raise ConfigError(err.message, stage.location_of(("environment",))) from None


def _restore(session: CxSession, content: Snapshot) -> str:
    agent_body = content.agent
    default = str(agent_body.get("default_language_code") or "en")
    others = [str(c) for c in agent_body.get("supported_language_codes", []) if str(c) != default]
    time_zone = str(agent_body.get("time_zone") or "UTC")
    agent = api.create_agent(session, OFFLINE_PARENT, "cxops test", [default, *others], time_zone)
    session.restore_agent(agent, write_zip(package_files(content, agent)))
    return agent


def _execute(
    session: CxSession, agent: str, environment: str | None, options: Options, offline: bool
) -> tuple[tuple[tr.CaseResult, ...], tuple[tr.Coverage, ...], tuple[tr.Finding, ...]]:
    chosen = tr.select(api.list_test_cases(session, agent), options.tags, options.only)
    if not chosen:
        what = "the selected tags" if options.tags else "the agent"
        raise ValidationError(f"no test cases to run: {what} has none (an empty run proves nothing)")
    names = api.display_names(session, agent)
    results: dict[str, dict[str, Any]] = {}
    missing = "BatchRunTestCases returned no result for it"
    try:
        for result in api.batch_run(session, agent, [str(c["name"]) for c in chosen], environment):
            case = str(result.get("name", "")).split("/results/")[0]
            results.setdefault(case, result)
    except ApiError as err:
        # Fail closed: the tests that could not run are failures, each saying why.
        missing = f"could not run: {err}"
    for case, result in results.items():
        # BatchRunTestCasesResponse.results: "The detailed conversation turns are empty in this
        # response" (v3 reference); a failure's turns, with their differences, are read apart.
        if (
            result.get("test_result") != "PASSED"
            and not result.get("conversation_turns")
            and result.get("name")
        ):
            # Where that read fails the verdict stands; the failure is shown without its turns.
            with contextlib.suppress(ApiError):
                results[case] = api.get_result(session, str(result["name"]))
    cases = tuple(tr.case_result(c, results.get(str(c["name"])), names, missing, offline) for c in chosen)
    coverage: tuple[tr.Coverage, ...] = ()
    if options.coverage or options.minimums:
        coverage = tuple(
            tr.coverage(kind, api.calculate_coverage(session, agent, kind), names, options.minimums.get(kind))
            for kind in tr.COVERAGE_KINDS
        )
    validation: tuple[tr.Finding, ...] = ()
    if options.validate:
        found: list[tr.Finding] = []
        for language in api.agent_languages(session, agent):
            found += tr.findings(language, api.validate_agent(session, agent, language))
        validation = tuple(found)
    return cases, coverage, validation
