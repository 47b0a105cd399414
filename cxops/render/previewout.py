"""A preview agent as a PR comment (markdown): where it is, what up did, how to pull from it."""

from __future__ import annotations


def _code(text: str) -> str:
    # A branch may hold a backtick; a longer fence keeps it inside the code span.
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}"


def up_markdown(*, stage: str, branch: str, display_name: str, url: str, created: bool, writes: int) -> str:
    if created:
        what = "created and filled with one `RestoreAgent` of the branch's tree"
    elif writes:
        what = f"brought to the branch's tree with {writes} write call(s)"
    else:
        what = "already the branch's tree; nothing written"
    lines = [
        "<!-- cxops-preview -->",
        f"### Preview agent for {_code(branch)}",
        "",
        f"[{display_name}]({url}) — {what}.",
        "",
        "Try it in the console's simulator; to bring console edits into the branch:",
        "",
        "```sh",
        f"cxops pull {stage} --branch '{branch}'",
        "```",
        "",
    ]
    return "\n".join(lines)
