"""Languages: content in the default language with no counterpart in a supported one, and test
cases in a language the agent does not support."""

from __future__ import annotations

from collections.abc import Iterator

from cxops.core.lint.index import LANGUAGE_FIELDS, Index
from cxops.core.lint.registry import Hit, Params, Severity, rule
from cxops.model.snapshot import walk

# Locale-specific languages fall back to their root language ("design your agent for root
# languages, and only customize for locale-specific languages as needed",
# https://cloud.google.com/dialogflow/cx/docs/concept/agent-multilingual), except these, which
# the same page says act as roots of their own.
OWN_ROOT = frozenset({"zh-hk", "zh-cn", "zh-tw", "pt-br"})


def root_of(lang: str) -> str | None:
    """The root language ``lang`` falls back to, or None."""
    low = lang.lower()
    if "-" not in low or low in OWN_ROOT:
        return None
    return low.split("-")[0]


def _covered(lang: str, content: dict[str, object], default: str) -> bool:
    if content.get(lang):
        return True
    root = root_of(lang)
    return root is not None and (root == default.lower() or bool(content.get(root)))


@rule(
    "languages/missing-translation",
    Severity.warning,
    "A resource with content in the default language and none in a supported language (nor, for a "
    "locale such as en-gb, in its root language).",
)
def missing_translation(index: Index, params: Params) -> Iterator[Hit]:
    default, others = index.default_language, index.languages[1:]
    if not others:
        return
    # The mappings with content by language, found by the index's one pass over the bodies.
    translatable = index.uses.translatable
    for key, _ in index.resources:
        if key.kind in ("agent", "test_case", "generative_settings") or key not in translatable:
            continue
        missing: dict[str, None] = {}
        first: tuple[str | int, ...] | None = None
        for path, obj in translatable[key]:
            for name, value in obj.items():
                if name in LANGUAGE_FIELDS and isinstance(value, dict) and value.get(default):
                    gaps = [lang for lang in others if not _covered(lang, value, default)]
                    if gaps:
                        missing.update(dict.fromkeys(gaps))
                        first = first or (*path, name)
        if first is not None:
            yield Hit(key, first, f"{key} has {default} content but none in {', '.join(missing)}")


@rule(
    "languages/unsupported-test-language",
    Severity.error,
    "A test case turn in a language the agent does not support.",
)
def unsupported_test_language(index: Index, params: Params) -> Iterator[Hit]:
    supported = set(index.languages)
    for key, body in index.of_kind("test_case"):
        for path, obj in walk(body):
            lang = obj.get("language_code")
            if isinstance(lang, str) and lang and lang not in supported:
                yield Hit(
                    key,
                    (*path, "language_code"),
                    f"test case language {lang!r} is not one of the agent's ({', '.join(index.languages)})",
                )
                break


@rule(
    "languages/unsupported-language-content",
    Severity.warning,
    "Content in a language the agent does not support (left from an earlier language setting): "
    "CX serves none of it, and plan and drift leave it out.",
)
def unsupported_language_content(index: Index, params: Params) -> Iterator[Hit]:
    # The v3 requests' language_code: "languages must be enabled in the agent before they can be
    # used", so no read or write of the API reaches this content; an export may still hold it.
    supported = {lang.lower() for lang in index.languages}
    translatable = index.uses.translatable
    for key, body in index.resources:
        found: dict[str, None] = {}
        first: tuple[str | int, ...] | None = None
        if key.kind == "generative_settings" and isinstance(body, dict):
            found.update(dict.fromkeys(lang for lang in body if lang.lower() not in supported))
            first = (next(iter(found)),) if found else None
        for path, obj in translatable.get(key, []):
            for name, value in obj.items():
                if name in LANGUAGE_FIELDS and isinstance(value, dict):
                    extra = [lang for lang in value if lang.lower() not in supported]
                    if extra:
                        found.update(dict.fromkeys(extra))
                        first = first or (*path, name, extra[0])
        if first is not None:
            yield Hit(
                key,
                first,
                f"{key} has content in {', '.join(found)}, which the agent does not support "
                f"({', '.join(index.languages)}): CX serves none of it; plan and drift leave it out",
            )
