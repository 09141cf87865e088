"""Hemline's returns policy engine: declarative policies, a pure evaluator, presets.

Public API: load_preset, load_policy, preset_names, parse_request, evaluate, explain; and
preset_document + policy_from_mapping to validate a preset changed by a merchant.
Nothing here performs I/O except reading the preset YAML files shipped in the package.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Where each public name lives. The package loads a submodule when one of its names is
# first used (PEP 562), not when `policies` is imported: pydantic, the schema and the
# YAML presets cost a cold start about a tenth of a second, and a Lambda that only
# acknowledges webhooks never evaluates a policy.
_HOMES = {
    "Decision": "decision",
    "ItemDecision": "decision",
    "evaluate": "evaluator",
    "InvalidPolicy": "exceptions",
    "InvalidRequest": "exceptions",
    "PolicyError": "exceptions",
    "UnknownPreset": "exceptions",
    "explain": "explain",
    "load_policy": "loader",
    "load_preset": "loader",
    "policy_from_mapping": "loader",
    "preset_document": "loader",
    "preset_names": "loader",
    "EvaluationRequest": "request",
    "parse_request": "request",
    "Policy": "schema",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'policies' has no attribute {name!r}")
    value = getattr(import_module(f"policies.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_HOMES])


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
