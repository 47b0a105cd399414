"""A plan in the three formats: the diff renderers, with what the gate and a reviewer need on top."""

from __future__ import annotations

from dataclasses import replace

from cxops.core.envplan import render_env_plan
from cxops.core.plan import Plan
from cxops.render import markdown, text


def _source(plan: Plan) -> str:
    source = plan.source
    kind = source.get("kind")
    if kind == "tree":
        commit = source.get("commit")
        at = (
            f" at {str(commit)[:12]}" + (" + uncommitted changes" if source.get("dirty") else "")
            if commit
            else ""
        )
        return f"{source.get('path')}{at}"
    if kind == "git":
        return f"git:{source.get('ref')} ({str(source.get('commit'))[:12]})"
    if kind == "stage":
        return f"{source.get('stage')} (live)"
    return f"backup {source.get('path')}"


def _counts(plan: Plan) -> str:
    ops: dict[str, int] = {}
    for write in plan.writes:
        ops[write.op] = ops.get(write.op, 0) + 1
    detail = ", ".join(f"{n} {op}" for op, n in ops.items())
    return f"{len(plan.writes)} write call(s)" + (f" ({detail})" if detail else "")


def cost_line(plan: Plan) -> str:
    """What apply will cost, before anyone approves it."""
    cost = plan.cost()
    if not cost["write_calls"]:
        return "apply: nothing to write"
    lease = " with the stage's lease" if plan else ""
    line = f"apply: {cost['write_calls']} write calls{lease}, {cost['long_running_operations']} long-running operations"
    if "flow_versions" in cost:
        made = cost["flow_versions"]
        line += f" (flow versions: {made['create']} created, {made['delete']} pruned)"
    if "minutes_at_rate_limit" in cost:
        line += (
            f", at least {cost['minutes_at_rate_limit']:g} min at {cost['writes_per_minute']:g} writes/min"
        )
    if cost["suggest_restore"]:
        line += "; consider --via restore (one RestoreAgent) where the stage allows replacing the whole agent"
    return line


def _security_lines(plan: Plan) -> list[str]:
    if not plan.security:
        return []
    return [
        "!! SECURITY: this plan changes where a credential goes or comes from;"
        " it needs an approval by someone other than its author:",
        *(f"!!   {note}" for note in plan.security),
    ]


def render_text(plan: Plan, *, color: bool = False, writes: bool = False) -> str:
    """Every line made visible (render/text.py) as it is made, and before any colour: names,
    sources and notes come from the repository and the live agent."""
    out = _text(plan, writes)
    return text.colour(out) if color else out


def _text(plan: Plan, writes: bool) -> str:
    if plan.environment is not None:
        return (
            text.visible(
                f"plan for {plan.stage} (environment {plan.environment.environment!r} of agents/{plan.agent}) "
                f"from {_source(plan)}"
            )
            + "\n"
            + "".join(f"  {text.visible(line)}\n" for line in _security_lines(plan))
            + f"  plan hash {plan.hash}\n  {cost_line(plan)}\n\n"
            + "".join(f"{text.visible(line)}\n" for line in render_env_plan(plan.environment).splitlines())
            + _write_list(plan.environment.write_lines() if writes else [])
        )
    head = [
        f"plan for {plan.stage} (agents/{plan.agent}) from {_source(plan)}",
        f"  {_counts(plan)}; plan hash {plan.hash}",
        f"  {cost_line(plan)}",
    ]
    head[1:1] = [f"  {line}" for line in _security_lines(plan)]
    unresolved = sorted(name for name, digest in plan.secrets.items() if digest is None)
    if unresolved:
        head.append(f"  secrets resolved at apply, not here: {', '.join(unresolved)}")
    if plan.diff.expected:
        head.append("  stage overrides in the desired state: " + ", ".join(plan.diff.expected))
    body = text.render(replace(plan.diff, expected=()))
    out = "\n".join(text.visible(line) for line in head) + "\n\n" + body
    return out + _write_list([w.describe() for w in plan.writes] if writes else [])


def _write_list(lines: list[str]) -> str:
    if not lines:
        return ""
    return "\nwrites, in order:\n" + "".join(
        f"  {i:>4}. {text.visible(line)}\n" for i, line in enumerate(lines, 1)
    )


def render_markdown(plan: Plan, full_output: str = "the plan artifact (cxops plan -o plan.json)") -> str:
    head = ""
    if plan.security:
        # First in the comment: a reviewer skimming a long plan must not miss it.
        head += (
            "> [!CAUTION]\n> **This plan changes where a credential goes or comes from.** It needs an"
            " approval by someone other than its author, on every stage.\n"
            + "".join(f"> - {markdown.escape(note)}\n" for note in plan.security)
            + "\n"
        )
    if plan.environment is not None:
        return (
            f"{head}## cxops plan: {markdown.code(plan.stage)} (environment "
            f"{markdown.code(plan.environment.environment)}) ← {markdown.escape(_source(plan))}\n\n"
            f"plan hash `{plan.hash[:19]}…` · by {markdown.escape(plan.author)}\n\n{cost_line(plan)}\n\n"
            + "```\n"
            + "".join(f"{text.visible(line)}\n" for line in render_env_plan(plan.environment).splitlines())
            + "```\n"
        )
    head += (
        f"## cxops plan: {markdown.code(plan.stage)} ← {markdown.escape(_source(plan))}\n\n"
        f"{_counts(plan)} · plan hash `{plan.hash[:19]}…` · by {markdown.escape(plan.author)}\n\n"
        f"{cost_line(plan)}\n\n"
    )
    if plan.diff.expected:
        head += (
            "Stage overrides in the desired state: "
            + ", ".join(markdown.code(e) for e in plan.diff.expected)
            + "\n\n"
        )
    diff = replace(plan.diff, expected=())
    return head + markdown.render(diff, limit=markdown.LIMIT - len(head), full_output=full_output)


def render_json(plan: Plan) -> str:
    return plan.to_json()
