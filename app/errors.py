"""The one error taxonomy of the app, mapped to HTTP or ack/retry only at the edges."""

from __future__ import annotations


class HemlineError(Exception):
    """Base of every error the app raises on purpose."""


class ConfigError(HemlineError):
    """The environment is missing or has malformed variables; start-up stops."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration:\n  - " + "\n  - ".join(problems))


class NotFound(HemlineError):
    """The thing asked for does not exist for this shop (also used to hide other shops' data)."""


class NotAllowed(HemlineError):
    """The caller may not do this."""


class InvalidTransition(NotAllowed):
    """The RMA is not in a state where this action applies."""


class Conflict(HemlineError):
    """A conditional write lost a race; re-read and try again."""


class InvalidInput(HemlineError):
    """Input failed validation; `field` names what was wrong."""

    def __init__(self, message: str, field: str | None = None):
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class UpstreamError(HemlineError):
    """A dependency (DynamoDB, SQS, Shopify, a label provider, mail) failed."""

    def __init__(self, message: str, *, retryable: bool):
        self.retryable = retryable
        super().__init__(message)
