"""Hemline's returns policy engine: declarative policies, a pure evaluator, presets.

Public API: load_preset, load_policy, preset_names, parse_request, evaluate, explain; and
preset_document + policy_from_mapping to validate a preset changed by a merchant.
Nothing here performs I/O except reading the preset YAML files shipped in the package.
"""

from policies.decision import Decision, ItemDecision
from policies.evaluator import evaluate
from policies.exceptions import InvalidPolicy, InvalidRequest, PolicyError, UnknownPreset
from policies.explain import explain
from policies.loader import (
    load_policy,
    load_preset,
    policy_from_mapping,
    preset_document,
    preset_names,
)
from policies.request import EvaluationRequest, parse_request
from policies.schema import Policy

__all__ = [
    "Decision",
    "EvaluationRequest",
    "InvalidPolicy",
    "InvalidRequest",
    "ItemDecision",
    "Policy",
    "PolicyError",
    "UnknownPreset",
    "evaluate",
    "explain",
    "load_policy",
    "load_preset",
    "parse_request",
    "policy_from_mapping",
    "preset_document",
    "preset_names",
]
