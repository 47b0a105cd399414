"""`cxops demo`: the main job end to end on the embedded stand-in — dev → stg → prd.

It starts the CX stand-in, creates the three stages' agents, brings all three to the team's
sample agent (``agents/order-desk``, en + ja) with one RestoreAgent each, makes an edit in dev
the way a console user would, then walks the path a team runs: pull → diff dev↔stg → the test
cases offline (and a change that breaks one, stopped) → plan stg → apply → the test cases live
on stg → plan prd → a refused apply → approve → a refused apply without stg's test result →
apply → drift, then an environment stage of stg's agent (one version per flow, one
CreateEnvironment). Every step runs the real command (in-process) in a scratch copy of the
repository, prints the command a user would type, and checks its outcome; the clone itself is
not touched.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shlex
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from cxops.cli.context import Entry
from cxops.core.plan import LEASE_WRITES
from cxops.cx import ConnectionSettings, CxSession
from cxops.errors import ConfigError
from cxops.fake import FakeCX
from cxops.fake.console import console_edit, create_agent, webhooks

STAGES = ("dev", "stg", "prd")
AGENT = "order-desk"
Say = Callable[[str], None]


class DemoFailed(Exception):
    """A step did not give the outcome the demo expects (a bug, shown as such)."""


DEMO_APPROVAL_KEY = {"CXOPS_APPROVAL_KEY": "demo-approval-key-not-a-real-secret"}


def sample_repo() -> Path:
    """The repository holding the sample agent: this clone, the current directory, or the copy an
    installed cxops carries (``cxops/sample``, put in the wheel by setup.py)."""
    package = Path(__file__).resolve().parents[1]
    for root in (package.parent, Path.cwd(), package / "sample"):
        if (root / "agents" / AGENT / "agent.yaml").is_file() and (root / "environments").is_dir():
            return root
    raise ConfigError(
        f"the demo needs the sample agent (agents/{AGENT}/ and environments/): run it from a clone of cxops"
    )


@contextlib.contextmanager
def _env(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class Runner:
    """Runs ``cxops ARGS`` in-process in the scratch repo; shows the command and its output."""

    def __init__(self, repo: Path, say: Say, main: Entry) -> None:
        self.repo = repo
        self.say = say
        self.main = main

    def __call__(self, *args: str, expect: int = 0, show: int = 12) -> str:
        self.say(f"   $ cxops {shlex.join(args)}")
        out, err = io.StringIO(), io.StringIO()
        here = Path.cwd()
        # The commands run in the scratch repo, as a user runs them in theirs.
        os.chdir(self.repo)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = self.main(["--no-color", *args])
        finally:
            os.chdir(here)
        text = out.getvalue() + err.getvalue()
        lines = [line for line in text.splitlines() if line.strip()]
        # One hidden line takes as much room as saying so: shown instead.
        cut = 0 if not show else show if len(lines) > show + 1 else len(lines)
        for line in lines[:cut]:
            self.say(f"     {line}")
        if cut < len(lines):
            self.say(f"     … {len(lines) - cut} more lines")
        if code != expect:
            raise DemoFailed(f"cxops {' '.join(args)} exited {code}, expected {expect}:\n{text}")
        return text


def run(say: Say, main: Entry) -> int:
    began = time.monotonic()
    source = sample_repo()
    keys = {f"CXOPS_ORDERS_API_KEY_{s.upper()}": f"demo-{s}-key-not-a-real-secret" for s in STAGES}
    with FakeCX() as fake, tempfile.TemporaryDirectory(prefix="cxops-demo-") as tmp:
        repo = Path(tmp)
        shutil.copytree(source / "agents" / AGENT, repo / "agents" / AGENT)
        shutil.copytree(source / "environments", repo / "environments")
        # CI holds the approval key as a secret; protected prd counts only approvals signed with it.
        env = {**keys, "CXOPS_EMULATOR_HOST": fake.address, "CXOPS_AUTHOR": "dev-alice", **DEMO_APPROVAL_KEY}
        with _env(env), CxSession(ConnectionSettings(emulator_host=fake.address)) as session:
            cli = Runner(repo, say, main)
            say(f"1. The CX stand-in is up at {fake.address}")
            say("   (yours: cxops fake serve --port 8085; export CXOPS_EMULATOR_HOST=127.0.0.1:8085)")
            say(f"   A scratch copy of this repo: {repo} (agents/{AGENT}, environments/dev|stg|prd.yaml)")
            agents = {}
            for stage in STAGES:
                created = create_agent(
                    session, f"projects/cxops-demo-{stage}/locations/global", f"Order Desk ({stage})"
                )
                agents[stage] = created.name
            say("2. Three empty agents, one per stage (found by display name, as the stage files say):")
            for stage, name in agents.items():
                say(f"   {stage}: {name}")

            say("3. All three run the current release of the sample agent: one RestoreAgent each")
            for stage in STAGES:
                calls = fake.count("RestoreAgent")
                flags = ("--auto-approve",) if stage != "prd" else ()
                if stage == "prd":
                    # prd's gate needs its content to have passed the tests live on stg.
                    cli("-q", "test", "stg", "-o", "stg-bootstrap.test.json", show=0)
                    cli("-q", "plan", "prd", "-o", "prd-bootstrap.json", show=0)
                    cli("-q", "approve", "prd-bootstrap.json", "--reviewer", "lead-bob", show=0)
                    cli("-q", "apply", "prd-bootstrap.json", "--via", "restore",
                        "--test-results", "stg-bootstrap.test.json", show=0)  # fmt: skip
                else:
                    cli("-q", "apply", stage, *flags, "--via", "restore", show=0)
                if fake.count("RestoreAgent") - calls != 1:
                    raise DemoFailed(
                        f"bootstrapping {stage} took {fake.count('RestoreAgent') - calls} restores, not 1"
                    )

            say("4. A developer edits dev in the CX console:")
            for line in console_edit(session, agents["dev"]):
                say(f"   {line}")

            say("5. Pull dev into the tree (what they commit and open a PR with):")
            cli("pull", "dev")
            say("   … and CI diffs the PR's tree against what stg runs:")
            changed = cli("diff", "stg", f"agents/{AGENT}", expect=3, show=16)
            if "has my parcel left the warehouse" not in changed:
                raise DemoFailed("the diff does not show the console edit")

            say("6. CI on the PR runs the agent's test cases offline, in a stand-in of its own:")
            cli("test", "--offline", show=9)
            say("   A change that breaks a test case is stopped here (a prompt reworded, in a copy):")
            broken = _break_a_test(repo)
            failed = cli("test", "--offline", broken, "--only", BROKEN_TEST, expect=1, show=8)
            if "FAIL  " + BROKEN_TEST not in failed:
                raise DemoFailed("the reworded prompt did not fail its test case")
            shutil.rmtree(repo / broken)
            say("   … and plans stg (the PR comment, in markdown with --format markdown):")
            cli("plan", "stg", "-o", "stg.plan.json", show=14)
            planned = json.loads((repo / "stg.plan.json").read_text(encoding="utf-8"))
            say("7. On merge, CI applies the reviewed plan to stg: only what changed is written")
            before = fake.write_count()
            cli("-q", "apply", "stg.plan.json")
            stg_writes = fake.write_count() - before - LEASE_WRITES
            if stg_writes != len(planned["writes"]):
                raise DemoFailed(f"stg took {stg_writes} writes for a plan of {len(planned['writes'])}")
            say(
                f"   {stg_writes} write calls for {len(planned['changes'])} changed resources"
                f" (+{LEASE_WRITES} for the stage's apply lease)"
            )
            say("   … then runs the test cases live on stg; the signed result is prd's ticket")
            cli("test", "stg", "-o", "stg.test.json", show=2)

            say("8. prd is protected: its plan needs an approval by someone who did not write it")
            cli("plan", "prd", "-o", "prd.plan.json", "--detailed-exitcode", expect=3, show=3)
            refused = cli("apply", "prd.plan.json", expect=1)
            if "protected" not in refused:
                raise DemoFailed("apply to prd without approval was not refused for it")
            cli("approve", "prd.plan.json", "--reviewer", "lead-bob", "--comment", "LGTM")
            untested = cli("apply", "prd.plan.json", expect=1)
            if "requires passing test results" not in untested:
                raise DemoFailed("apply to prd without test results was not refused for it")
            before = fake.write_count()
            cli("-q", "apply", "prd.plan.json", "--test-results", "stg.test.json")
            prd_writes = fake.write_count() - before - LEASE_WRITES

            say("9. Nothing drifted: every stage is what its files say")
            for stage in ("stg", "prd"):
                cli("drift", stage, show=2)
            hook = webhooks(session, agents["prd"])[0]
            say(
                f"   prd's webhook: {hook.generic_web_service.uri} (its own override), "
                f"X-Api-Key from CXOPS_ORDERS_API_KEY_PRD (never in a file: {_secret_free(repo, keys)})"
            )
            say("10. A stage can also be a CX environment of stg's agent, pinning flow versions:")
            _canary_stage(repo)
            cli("plan", "canary", "--detailed-exitcode", expect=3, show=12)
            before = fake.count("CreateVersion", "CreateEnvironment", "UpdateEnvironment")
            cli("-q", "apply", "canary", "--auto-approve", show=2)
            env_writes = fake.count("CreateVersion", "CreateEnvironment", "UpdateEnvironment") - before
            flows = len([d for d in (repo / "agents" / AGENT / "flows").iterdir() if d.is_dir()])
            if env_writes != flows + 1:
                raise DemoFailed(f"the environment stage took {env_writes} calls for {flows} flows")
            say(f"   {env_writes} calls: one CreateVersion per flow, one CreateEnvironment")
            cli("drift", "canary", show=2)
        say(
            f"Done: dev → stg ({stg_writes} writes) → prd ({prd_writes} writes); {sum(fake.calls.values())} API "
            f"calls in all, {time.monotonic() - began:.1f}s."
        )
    return 0


def _canary_stage(repo: Path) -> None:
    """environments/canary.yaml in the scratch repo: the CX environment "canary" of stg's agent."""
    stg = (repo / "environments" / "stg.yaml").read_text(encoding="utf-8")
    canary = stg.replace("https://orders.stg.example.com/cx", "https://orders.canary.example.com/cx")
    canary = canary.replace("source: dev ", "environment: canary  #")
    (repo / "environments" / "canary.yaml").write_text(canary, encoding="utf-8")


BROKEN_TEST = "Delivery change - new date (en)"


def _break_a_test(repo: Path) -> str:
    """A copy of the tree with the prompt that test case expects reworded; returns its folder."""
    copy = f"agents/{AGENT}-broken"
    shutil.copytree(repo / "agents" / AGENT, repo / copy)
    page = repo / copy / "flows/Delivery Change/pages/Choose New Date.yaml"
    text = page.read_text(encoding="utf-8")
    page.write_text(text.replace("And which time slot:", "Which time slot suits you:"), encoding="utf-8")
    return copy


def _secret_free(repo: Path, keys: dict[str, str]) -> str:
    for path in repo.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            if any(value.encode() in data for value in keys.values()):
                raise DemoFailed(f"a secret value reached {path}")
    return "checked every file, plans and backups included"
