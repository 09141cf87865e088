"""Loading policies: YAML text to a validated `Policy`, and the presets in the package.

Errors are reduced to one `InvalidPolicy` naming the field (`fees.restocking.percent`).
"""

from __future__ import annotations

import copy
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from pydantic import ValidationError

from policies.exceptions import InvalidPolicy, UnknownPreset
from policies.schema import Policy


class _ExactLoader(yaml.SafeLoader):
    """SafeLoader that reads YAML numbers with a fraction as Decimal, never as float."""


def _exact_number(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal | str:
    text = str(loader.construct_scalar(node)).replace("_", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        # .inf / .nan: kept as text so that validation rejects them by name.
        return text


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _exact_number)


def format_location(loc: tuple[Any, ...] | list[Any], subpath: str = "") -> str:
    """('fees', 'restocking', 'percent') -> 'fees.restocking.percent'; ints become [i]."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    if subpath:
        text += subpath if subpath.startswith("[") or not text else "." + subpath
    return text or "policy"


def _message(error: dict[str, Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind in ("condition", "policy"):
        return str(ctx["message"])
    if kind == "missing":
        return "required"
    if kind == "extra_forbidden":
        return "unknown field"
    if kind == "enum":
        expected = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
        return f"unknown value {error.get('input')!r} (expected one of {expected})"
    if kind == "value_error":
        return str(error["msg"]).removeprefix("Value error, ")
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false"
    if kind in ("list_type", "tuple_type"):
        return "must be a list"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "must be a mapping"
    if kind in ("string_type",):
        return "must be text"
    if kind == "too_short":
        return "must not be empty"
    message = str(error["msg"])
    return message[:1].lower() + message[1:]


def policy_error(exc: ValidationError) -> InvalidPolicy:
    """The first problem of a pydantic ValidationError as an InvalidPolicy."""
    first = exc.errors()[0]
    subpath = str((first.get("ctx") or {}).get("subpath", ""))
    return InvalidPolicy(format_location(first["loc"], subpath), _message(first))


def policy_from_mapping(document: Any) -> Policy:
    """Validate an already-parsed policy document. Raises InvalidPolicy."""
    if not isinstance(document, dict):
        raise InvalidPolicy("policy", "must be a YAML mapping of policy fields")
    try:
        return Policy.model_validate(document)
    except ValidationError as exc:
        raise policy_error(exc) from None


def _parse_yaml(yaml_text: str) -> Any:
    try:
        document = yaml.load(yaml_text, Loader=_ExactLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise InvalidPolicy("policy", f"malformed YAML{where}: {problem}") from None
    return document


def load_policy(yaml_text: str) -> Policy:
    """Parse and validate a policy written in YAML. Raises InvalidPolicy naming the field."""
    return policy_from_mapping(_parse_yaml(yaml_text))


def _preset_files() -> dict[str, Any]:
    folder = resources.files("policies") / "presets"
    return {
        entry.name.removesuffix(".yaml"): entry
        for entry in folder.iterdir()
        if entry.name.endswith(".yaml")
    }


@lru_cache(maxsize=1)
def preset_names() -> tuple[str, ...]:
    """The names of the presets that ship with the package, sorted."""
    return tuple(sorted(_preset_files()))


@lru_cache(maxsize=16)
def _preset_text(name: str) -> str:
    files = _preset_files()
    if name not in files:
        raise UnknownPreset(
            "preset", f"unknown preset {name!r} (expected one of {', '.join(preset_names())})"
        )
    return files[name].read_text(encoding="utf-8")


def preset_document(name: str) -> dict[str, Any]:
    """A fresh copy of the preset's YAML mapping, to change before validating it with
    `policy_from_mapping` (a merchant's overrides). Raises UnknownPreset."""
    return copy.deepcopy(_preset_mapping(name))


@lru_cache(maxsize=16)
def _preset_mapping(name: str) -> dict[str, Any]:
    # Parsed once; callers only ever see deep copies, so this one is never changed.
    document = _parse_yaml(_preset_text(name))
    if not isinstance(document, dict):
        raise InvalidPolicy("policy", f"preset file {name}.yaml is not a mapping")
    return document


@lru_cache(maxsize=16)
def load_preset(name: str) -> Policy:
    """The preset `name` (cached: policies are immutable). Raises UnknownPreset."""
    policy = load_policy(_preset_text(name))
    if policy.name != name:
        raise InvalidPolicy("name", f"preset file {name}.yaml declares name {policy.name!r}")
    return policy
