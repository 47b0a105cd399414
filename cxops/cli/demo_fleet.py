"""`cxops demo --fleet`: two agents in one repository, on the embedded stand-in.

`cxops init --agent pizza --agent tacos` scaffolds stages per agent and fan-out workflows; both
agents reach their stg; a pull request touches pizza only, so `cxops changed` (what the
generated workflows' matrix runs) lists pizza alone, and applying it leaves tacos as it was.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import time
from pathlib import Path

from cxops.cli.context import Entry
from cxops.cli.demo_steps import AGENT, DemoFailed, Runner, Say, _env, sample_repo
from cxops.cli.demo_team import Git
from cxops.cx import ConnectionSettings, CxSession
from cxops.fake import FakeCX
from cxops.fake.console import create_agent

AGENTS = ("pizza", "tacos")
INTENT = Path("intents/help.callback.yaml")


def run(say: Say, main: Entry) -> int:
    began = time.monotonic()
    source = sample_repo()
    with FakeCX() as fake, tempfile.TemporaryDirectory(prefix="cxops-fleet-") as tmp:
        repo = Path(tmp)
        for agent in AGENTS:
            shutil.copytree(source / "agents" / AGENT, repo / "agents" / agent)
        env = {"CXOPS_EMULATOR_HOST": fake.address, "CXOPS_AUTHOR": "dev-ana", "CXOPS_DEMO_KEY": "demo-key"}
        with _env(env), CxSession(ConnectionSettings(emulator_host=fake.address)) as session:
            cli, git = Runner(repo, say, main), Git(repo, say)
            say(f"1. Two agents in one repository ({', '.join(AGENTS)}), a scratch git repository: {repo}")
            cli("init", "--agent", AGENTS[0], "--agent", AGENTS[1], show=0)
            for agent in AGENTS:
                name = f"{agent} (stg)"
                create_agent(session, "projects/cxops-demo-stg/locations/global", name)
                # What a user fills in: the project, the agent, the tree's secret slot.
                (repo / "environments" / agent / "stg.yaml").write_text(
                    f'project: cxops-demo-stg\nagent_display_name: "{name}"\nsource: dev\n'
                    "secrets:\n  orders-api/X-Api-Key: env:CXOPS_DEMO_KEY\n",
                    encoding="utf-8",
                )
            say("   cxops init wrote each agent's stages and the fan-out workflows:")
            for folder in ("environments/pizza", "environments/tacos", ".github/workflows"):
                say(f"     {folder}/: {' '.join(sorted(p.name for p in (repo / folder).iterdir()))}")
            for agent in AGENTS:
                cli("-q", "apply", f"{agent}/stg", "--auto-approve", "--via", "restore", show=0)
            say("   both stg agents run their trees (one RestoreAgent each)")
            git("init", "-q", "-b", "main", quiet=True)
            git("add", "-A", quiet=True)
            git("commit", "-q", "-m", "two agents", quiet=True)

            say("2. A pull request edits pizza only; the workflows' matrix is what cxops changed lists:")
            git("switch", "-q", "-c", "pizza/callback-wording")
            intent = repo / "agents" / AGENTS[0] / INTENT
            text = intent.read_text(encoding="utf-8")
            intent.write_text(
                re.sub(r"(?m)^description: .*$", "description: Ask for a call back", text), encoding="utf-8"
            )
            git("commit", "-q", "-am", "pizza: callback intent description", show=False)
            matrix = json.loads(cli("--format", "json", "changed", "--since", "main", show=3))
            if [entry["agent"] for entry in matrix] != [AGENTS[0]]:
                raise DemoFailed(f"cxops changed listed {matrix}, not pizza alone")
            say("   only pizza's jobs run (cxops-pr-agent.yml, cxops-deploy-agent.yml once, for pizza)")

            say("3. Merged: pizza's deploy job applies pizza/stg; tacos is left as it was:")
            git("switch", "-q", "main")
            git("merge", "-q", "--no-edit", "pizza/callback-wording", show=False)
            cli("-q", "apply", f"{AGENTS[0]}/stg", "--auto-approve")
            cli("drift", f"{AGENTS[0]}/stg", show=1)
            cli("drift", f"{AGENTS[1]}/stg", show=1)
        say(f"Done: two agents, one change, one agent deployed; {time.monotonic() - began:.1f}s.")
    return 0
