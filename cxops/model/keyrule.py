"""Which keys of a tree body a person wrote wrong, and which CX wrote (SPEC §2 rules 8 and 9).

CX's export format runs months ahead of the published protos: a real export holds keys that no
v3 (or v3beta1) message has. No list of such keys can keep up, so the line is drawn by spelling,
which follows the format rather than the examples seen so far:

- the tree writes every key it understands in snake_case: the v3 fields, and the export-only
  keys whose meaning cxops knows (:data:`KNOWN`);
- a key an export holds that cxops has no schema for is written as the export spelt it. Exports
  are proto3 JSON, whose keys are the fields' lowerCamelCase ``json_name`` ("Proto field names
  are mapped to lower camel-case and become JSON object keys", protobuf.dev/programming-guides/
  proto3/#json), so such a key has no underscore; it is carried, its value verbatim;
- so a key with an underscore that is no field is a typo, and so is the camelCase spelling of a
  key the tree knows (``displayName``): both are errors, with did-you-mean.

A one-word key (``seed``) is spelt the same both ways: it is taken for a key CX wrote unless it
is a near miss of a key the tree knows (``intnet``), which a person typed.

The known-field lookups sit behind :func:`tree_fields`, the one place that asks the protobuf
descriptors.
"""

from __future__ import annotations

import difflib
import functools
import re
from typing import Any

from cxops.model.treekeys import tree_key

# Export-only keys whose meaning cxops knows, by message: written snake_case and normalized
# inside (float32 noise out, resource paths as display names), as imported since before the
# rule above. The language codes are taken apart into the tree's language maps; the route
# groups and a test turn's page flow carry what the API holds in another shape. This set only
# decides how those keys are spelt; a key not in it is never refused for that (it is carried).
KNOWN: frozenset[tuple[str, str]] = frozenset(
    {
        ("AdvancedSettings", "enabled"),
        ("AdvancedSettings", "playback_interruption_settings"),
        ("AdvancedSettings", "speech_adaptation_settings"),
        ("Agent", "bigquery_export_settings"),
        ("Agent", "call_companion_settings"),
        ("Agent", "data_residency_option"),
        ("Agent", "duplex_settings"),
        ("Agent", "enable_logging"),
        ("Agent", "speaker_id_settings"),
        ("Agent", "web_client_settings"),
        ("DataStoreConnection", "acl_config"),
        ("DataStoreConnection", "connector_config"),
        ("DataStoreConnection", "create_time"),
        ("DataStoreConnection", "display_name"),
        ("DataStoreConnection", "engine_type"),
        ("DataStoreConnection", "language_code"),
        ("DataStoreTool", "grounding_settings"),
        ("DataStoreTool", "models"),
        ("DataStoreTool", "payload_settings"),
        ("DataStoreTool", "voice_mode_settings"),
        ("DtmfSettings", "custom_rule"),
        ("DtmfSettings", "use_system_entity_rule"),
        ("Entity", "dtmf_pattern"),
        ("Entity", "language_code"),
        ("Example", "retrieval_strategy"),
        ("FallbackPrompt", "company"),
        ("Flow", "nlu_settings_list"),
        ("Flow", "agent_transition_route_groups"),
        ("FlowInvocation", "input_action_parameters"),
        ("FlowInvocation", "output_action_parameters"),
        ("Fulfillment", "next_action_override"),
        ("Fulfillment", "send_call_companion_sms"),
        ("GenerativeSettings", "playbook_settings"),
        ("Intent", "skip_auto_annotation"),
        ("KnowledgeConnectorSettings", "grounding_settings"),
        ("KnowledgeConnectorSettings", "knowledge_base_ids"),
        ("KnowledgeConnectorSettings", "llm_model_settings"),
        ("KnowledgeConnectorSettings", "main_llm_config"),
        ("KnowledgeInfoCard", "maximum_snippets"),
        ("LlmModelSettings", "parameters"),
        ("NluSettings", "multi_intent_settings"),
        ("OpenApiTool", "ignore_unknown_fields"),
        ("Page", "agent_transition_route_groups"),
        ("Page", "flow"),
        ("Page", "speaker_id_settings"),
        ("ParameterDefinition", "parameter_type"),
        ("Playbook", "advanced_settings"),
        ("Playbook", "rag_settings"),
        ("Playbook", "speech_adaptation_settings"),
        ("Playbook", "speech_settings"),
        ("Playbook", "steps"),
        ("PlaybookInput", "action_parameters"),
        ("PlaybookInput", "parameters"),
        ("PlaybookOutput", "action_parameters"),
        ("PlaybookOutput", "state"),
        ("PromptSecuritySettings", "min_query_length"),
        ("PromptSecuritySettings", "sensitivity_level"),
        ("ResponseMessage", "language_code"),
        ("SafetySettings", "default_responsible_ai_filters"),
        ("SafetySettings", "responsible_ai_filters"),
        ("SetParameterAction", "redact"),
        ("SpeechSettings", "enable_smart_endpointing"),
        ("TestCase", "conversation_turns"),
        ("TestCase", "expected_test_case_result"),
        ("TestCase", "language_code"),
        ("TestCase", "ordered_expectations"),
        ("TestConfig", "start_playbook"),
        ("TestConfig", "use_case_description"),
        ("TestRunDifference", "actual_value"),
        ("TestRunDifference", "assertion_type"),
        ("TestRunDifference", "expected_value"),
        ("TestRunDifference", "warning"),
        ("Text", "contain_ai_generated_content"),
        ("Text", "contain_attempted_data_store_interactions"),
        ("Text", "contain_data_store_content"),
        ("Text", "contain_generators_content"),
        ("ToolUse", "input_parameters"),
        ("ToolUse", "output_parameters"),
        ("TrainingPhrase", "language_code"),
        ("TransitionRoute", "target_playbook"),
        ("VirtualAgentOutput", "current_flow"),
    }
)

# A key as proto3 JSON writes one: lowerCamelCase, no underscore (one word is lower case).
_EXPORT_SPELLING = re.compile(r"[a-z][a-zA-Z0-9]*")
# A near miss of a known key, for a one-word key: stricter than did-you-mean's 0.6, so that a
# new CX key is not taken for a typo of a short field (``top_k``).
_NEAR_MISS = 0.8


@functools.lru_cache(maxsize=4096)
def snake(name: str) -> str:
    """``displayName`` -> ``display_name``: the proto field name a JSON key stands for."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


@functools.cache
def tree_fields(desc: Any) -> frozenset[str]:
    """The keys the tree gives the v3 fields of a message (``type``, not ``type_``)."""
    return frozenset(tree_key(name) for name in desc.fields_by_name)


def is_known_export_only(type_name: str, key: str) -> bool:
    """Whether ``key`` (tree spelling) is an export-only key of message ``type_name`` (its short
    name) that cxops knows, so written snake_case with its value normalized."""
    return (type_name, key) in KNOWN


def known_keys(desc: Any) -> list[str]:
    """Every key the tree understands in a message: its fields, then its known export-only keys."""
    return [*sorted(tree_fields(desc)), *sorted(k for owner, k in KNOWN if owner == desc.name)]


def unknown_key_error(desc: Any, name: str) -> str | None:
    """For a key of a ``desc`` message that is neither a field nor a known export-only key: the
    error when a person wrote it wrong, None when it is a key CX wrote (carried as it is)."""
    known = known_keys(desc)
    if _EXPORT_SPELLING.fullmatch(name):
        as_field = snake(name)
        if as_field != name:
            if as_field in known:
                return (
                    f"the tree writes this key {as_field} (camelCase only for keys cxops has no schema for)"
                )
            return None
        close = difflib.get_close_matches(name, known, n=1, cutoff=_NEAR_MISS)
        return f"unknown field (did you mean {close[0]}?)" if close else None
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown field{hint}"
