"""`cxops demo --team`: two developers, one agent, on the embedded stand-in.

Ana and Ben each get a preview agent for their branch, each edits the same page of the Returns
flow in "the console" (through the API, as themselves), each pulls into their branch; the two
branches merge through the structural merge driver without a conflict, the merged tree
validates and goes to stg and, approved, to prd. A third branch that rewords the same message
differently stops with a marked conflict that validate reports. Every step prints the command a
user types (git included) and checks its outcome, in a scratch git repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cxops.cli.context import Entry
from cxops.cli.demo_steps import AGENT, DEMO_APPROVAL_KEY, DemoFailed, Runner, Say, _env, sample_repo
from cxops.cx import ConnectionSettings, CxSession
from cxops.fake import FakeCX
from cxops.fake.console import create_agent, edit_page

PAGE = ("Returns", "Confirm Return")
PREVIEW = """# The preview stage: one agent per git branch (cxops preview up).
agent: order-desk
project: cxops-demo-dev
agent_display_name: "Order Desk · {branch}"
preview: true
secrets:
  orders-api/X-Api-Key: env:CXOPS_ORDERS_API_KEY_PREVIEW
"""
ANA_TEXT = "ご注文 $session.params.order_id を返品し、返品ラベルをメールでお送りしますか？"  # noqa: RUF001 (Japanese punctuation)
BEN_TEXT = "No problem, we can go over the details once more."
CARA_TEXT = "ご注文 $session.params.order_id を返品してよろしいですか？"  # noqa: RUF001 (Japanese punctuation)
JA_ORIGINAL = "ご注文 $session.params.order_id の返品を受け付け、返品伝票をお送りしてよろしいですか？"  # noqa: RUF001 (Japanese punctuation)


class Git:
    def __init__(self, repo: Path, say: Say) -> None:
        self.repo, self.say = repo, say
        self.env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "demo",
            "GIT_AUTHOR_EMAIL": "demo@example.com",
            "GIT_COMMITTER_NAME": "demo",
            "GIT_COMMITTER_EMAIL": "demo@example.com",
        }

    def __call__(self, *args: str, expect: int = 0, show: bool = True, quiet: bool = False) -> str:
        if not quiet:
            self.say(f"   $ git {' '.join(args)}")
        done = subprocess.run(
            ["git", *args], cwd=self.repo, env=self.env, capture_output=True, text=True, check=False
        )
        text = done.stdout + done.stderr
        if show and not quiet:
            for line in [x for x in text.splitlines() if x.strip()][:6]:
                self.say(f"     {line}")
        if done.returncode != expect:
            raise DemoFailed(f"git {' '.join(args)} exited {done.returncode}, expected {expect}:\n{text}")
        return text


def run(say: Say, main: Entry) -> int:
    began = time.monotonic()
    source = sample_repo()
    stages = ("stg", "prd", "preview")
    keys = {f"CXOPS_ORDERS_API_KEY_{s.upper()}": f"demo-{s}-key-not-a-real-secret" for s in stages}
    with FakeCX() as fake, tempfile.TemporaryDirectory(prefix="cxops-team-") as tmp:
        repo = Path(tmp)
        shutil.copytree(source / "agents" / AGENT, repo / "agents" / AGENT)
        (repo / "environments").mkdir()
        for stage in ("dev", "stg", "prd"):
            shutil.copy(source / "environments" / f"{stage}.yaml", repo / "environments")
        (repo / "environments" / "preview.yaml").write_text(PREVIEW, encoding="utf-8")
        env = {**keys, "CXOPS_EMULATOR_HOST": fake.address, "CXOPS_AUTHOR": "dev-ana", **DEMO_APPROVAL_KEY}
        with _env(env), CxSession(ConnectionSettings(emulator_host=fake.address)) as session:
            cli, git = Runner(repo, say, main), Git(repo, say)
            say(f"1. The CX stand-in is up at {fake.address}; a scratch git repository: {repo}")
            git("init", "-q", "-b", "main", quiet=True)
            (repo / ".gitattributes").write_text("agents/**/*.yaml merge=cxops\n", encoding="utf-8")
            say("   Each developer enables the merge driver once (cxops init wrote .gitattributes):")
            say('   $ git config merge.cxops.driver "cxops merge-driver %O %A %B %P"')
            driver = f"{sys.executable} -m cxops merge-driver %O %A %B %P"
            git("config", "merge.cxops.driver", driver, quiet=True)
            git("add", "-A", quiet=True)
            git("commit", "-q", "-m", "the team's agent", quiet=True)
            for stage in ("stg", "prd"):
                create_agent(
                    session, f"projects/cxops-demo-{stage}/locations/global", f"Order Desk ({stage})"
                )
            cli("-q", "apply", "stg", "--auto-approve", "--via", "restore", show=0)
            # prd's gate needs its content to have passed the tests live on stg.
            cli("-q", "test", "stg", "-o", "stg-bootstrap.test.json", show=0)
            cli("-q", "plan", "prd", "-o", "prd-bootstrap.json", show=0)
            cli("-q", "approve", "prd-bootstrap.json", "--reviewer", "lead-bob", show=0)
            cli("-q", "apply", "prd-bootstrap.json", "--via", "restore",
                "--test-results", "stg-bootstrap.test.json", show=0)  # fmt: skip
            say("   stg and prd run the sample agent (bootstrapped with one RestoreAgent each)")

            previews = {}
            for n, (who, branch, language, edit) in enumerate(
                (
                    ("ana@example.com", "ana/confirm-wording", "ja", {"entry": ANA_TEXT}),
                    ("ben@example.com", "ben/no-reply", "en", {"no": BEN_TEXT}),
                ),
                2,
            ):
                name = who.split("@")[0].title()
                say(f"{n}. {name} starts a branch from main and gets an agent of their own:")
                git("switch", "-q", "main", quiet=True)
                git("switch", "-c", branch)
                out = cli("preview", "up")
                previews[branch] = out.strip().splitlines()[-1].rsplit("/", 1)[-1]
                agent = f"projects/cxops-demo-dev/locations/global/agents/{previews[branch]}"
                what = ("the entry message" if "entry" in edit else "the confirm.no reply") + f" ({language})"
                say(f"   … edits {what} of page {'/'.join(PAGE)} in the console, and pulls it:")
                with (
                    _env({"CXOPS_USER": who}),
                    CxSession(ConnectionSettings(emulator_host=fake.address)) as own,
                ):
                    edit_page(own, agent, PAGE, language, **edit)
                cli("pull", "preview", show=1)
                git("commit", "-q", "-am", f"{name}: {what} of {PAGE[1]}", show=False)

            say("4. Both pull requests merge; one file changed on both sides, the driver merges it:")
            git("switch", "-q", "main")
            git("merge", "-q", "--no-edit", "ana/confirm-wording")
            git("merge", "-q", "--no-edit", "ben/no-reply")
            merged = (repo / "agents" / AGENT / "flows" / PAGE[0] / "pages" / f"{PAGE[1]}.yaml").read_text(
                encoding="utf-8"
            )
            if ANA_TEXT not in merged or BEN_TEXT not in merged or "<<<<<<<" in merged:
                raise DemoFailed("the merged page does not hold both edits")
            say("   the merged page holds both edits")
            cli("validate", AGENT, show=2)

            say("5. CI applies the merged tree to stg, and to prd after approval:")
            cli("-q", "apply", "stg", "--auto-approve")
            cli("-q", "plan", "prd", "-o", "prd.plan.json")
            cli("-q", "approve", "prd.plan.json", "--reviewer", "lead-bob")
            cli("test", "stg", "-o", "stg.test.json", show=2)
            cli("-q", "apply", "prd.plan.json", "--test-results", "stg.test.json")
            cli("drift", "prd", show=2)

            say(
                "6. Cara rewords the same Japanese message on an older branch: a real conflict stops the merge"
            )
            git("switch", "-q", "-c", "cara/confirm", "HEAD~2")
            page = repo / "agents" / AGENT / "flows" / PAGE[0] / "pages" / f"{PAGE[1]}.yaml"
            original = page.read_text(encoding="utf-8")
            if JA_ORIGINAL not in original:
                raise DemoFailed("the sample page's Japanese entry message moved")
            page.write_text(original.replace(JA_ORIGINAL, CARA_TEXT), encoding="utf-8")
            git("commit", "-q", "-am", "Cara: confirm wording", show=False)
            git("switch", "-q", "main")
            git("merge", "--no-edit", "cara/confirm", expect=1)
            text = page.read_text(encoding="utf-8")
            if "<<<<<<<" not in text or CARA_TEXT not in text or ANA_TEXT not in text:
                raise DemoFailed("the conflicting edit was not marked")
            found = cli("validate", AGENT, expect=1, show=2)
            if "unresolved merge conflict" not in found:
                raise DemoFailed("validate did not report the conflict markers")
            git("merge", "--abort")

            say("7. Closed pull requests take their preview agents with them:")
            for branch in previews:
                cli("preview", "down", "--branch", branch, show=1)
            if "no preview agents" not in cli("preview", "list", show=1):
                raise DemoFailed("preview agents are left")
        say(
            f"Done: two developers, one merge without conflict, one marked conflict; {time.monotonic() - began:.1f}s."
        )
    return 0
