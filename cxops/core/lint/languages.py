"""Languages: content in the default language with no counterpart in a supported one, and test
cases in a language the agent does not support."""

from __future__ import annotations

from collections.abc import Iterator

from cxops.core.lint.index import Index, walk
from cxops.core.lint.registry import Hit, Params, Severity, rule

# Tree fields holding {language: content} (cxops.model.proto.LANGUAGE_MAPS).
_LANGUAGE_FIELDS = frozenset({"messages", "training_phrases", "entities", "conditional_cases", "prompt_text"})


@rule(
    "languages/missing-translation",
    Severity.warning,
    "A resource with content in the default language and none in a supported language.",
)
def missing_translation(index: Index, params: Params) -> Iterator[Hit]:
    default, others = index.default_language, index.languages[1:]
    if not others:
        return
    for key, body in index.resources:
        if key.kind in ("agent", "test_case", "generative_settings"):
            continue
        missing: dict[str, None] = {}
        first: tuple[str | int, ...] | None = None
        for path, obj in walk(body):
            for name, value in obj.items():
                if name in _LANGUAGE_FIELDS and isinstance(value, dict) and value.get(default):
                    gaps = [lang for lang in others if not value.get(lang)]
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
