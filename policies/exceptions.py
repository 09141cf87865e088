"""Errors of the policy engine; each names the field at fault.

Ineligibility is never an error: it is data in the decision. These are raised
only for documents that cannot be evaluated at all.
"""

from __future__ import annotations


class PolicyError(ValueError):
    """Base of every policy-engine error: `field` is a path such as `items[0].reason`."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InvalidPolicy(PolicyError):
    """A policy document (YAML) is malformed or breaks a rule of the schema."""


class InvalidRequest(PolicyError):
    """An evaluation request is malformed or does not match its order."""


class UnknownPreset(PolicyError):
    """No preset of that name ships with the package."""
