"""Settings by reference: `NAME_SSM_PARAMETER` and `NAME_SECRET_ARN` become `NAME` at cold start.

In AWS the Lambda environment (zappa_settings.json) holds only where each value lives, an
SSM parameter name or a Secrets Manager secret id, never a secret itself. `Settings.from_env`
resolves the references in prod before it validates; outside prod nothing is fetched.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from app.errors import ConfigError

SSM_SUFFIX = "_SSM_PARAMETER"
SECRET_SUFFIX = "_SECRET_ARN"  # noqa: S105 - a variable-name suffix, not a secret
_SSM_BATCH = 10  # GetParameters takes at most 10 names
# A cold start waits on these calls: fail in seconds, not after botocore's 60 s defaults.
_CONFIG = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})


def _references(environ: Mapping[str, str], suffix: str) -> dict[str, str]:
    """Variable to set -> the name it is read from, for every non-empty `*<suffix>` variable."""
    return {
        key.removesuffix(suffix): value.strip()
        for key, value in environ.items()
        if key.endswith(suffix) and key != suffix and value.strip()
    }


def resolve_references(
    environ: Mapping[str, str], *, ssm: Any = None, secretsmanager: Any = None
) -> dict[str, str]:
    """`environ` plus the value of every reference in it; clients are built only when needed.

    Raises ConfigError naming each reference that cannot be read and each variable that is
    set both directly and by reference (which would leave it unclear which one is live).
    """
    resolved = dict(environ)
    from_ssm = _references(environ, SSM_SUFFIX)
    from_secrets = _references(environ, SECRET_SUFFIX)
    problems = [
        f"{name} is set directly and by reference; keep one"
        for name in sorted(from_ssm.keys() | from_secrets.keys())
        if (environ.get(name) or "").strip() or (name in from_ssm and name in from_secrets)
    ]
    if problems:
        raise ConfigError(problems)
    if not from_ssm and not from_secrets:
        return resolved

    region = environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    if from_ssm:
        values, unread = _read_parameters(sorted(set(from_ssm.values())), ssm, region, problems)
        for name, parameter in sorted(from_ssm.items()):
            if parameter in values:
                resolved[name] = values[parameter]
            elif parameter not in unread:
                problems.append(
                    f"{name}{SSM_SUFFIX} names {parameter!r}, which SSM Parameter Store "
                    f"({region}) does not have"
                )
    if from_secrets:
        if secretsmanager is None:
            import boto3

            secretsmanager = boto3.client("secretsmanager", region_name=region, config=_CONFIG)
        for name, secret_id in sorted(from_secrets.items()):
            try:
                resolved[name] = secretsmanager.get_secret_value(SecretId=secret_id)["SecretString"]
            except (ClientError, BotoCoreError, KeyError) as exc:
                problems.append(
                    f"{name}{SECRET_SUFFIX}: secret {secret_id!r} could not be read ({_why(exc)})"
                )
    if problems:
        raise ConfigError(problems)
    return resolved


def _read_parameters(
    names: list[str], ssm: Any, region: str, problems: list[str]
) -> tuple[dict[str, str], set[str]]:
    """Decrypted values by parameter name, and the names a failed call left unread.

    A failed call adds a problem naming its parameters.
    """
    if ssm is None:
        import boto3

        ssm = boto3.client("ssm", region_name=region, config=_CONFIG)
    values: dict[str, str] = {}
    unread: set[str] = set()
    for start in range(0, len(names), _SSM_BATCH):
        batch = names[start : start + _SSM_BATCH]
        try:
            found = ssm.get_parameters(Names=batch, WithDecryption=True)["Parameters"]
        except (ClientError, BotoCoreError) as exc:
            problems.append(f"SSM parameters {', '.join(batch)} could not be read ({_why(exc)})")
            unread.update(batch)
            continue
        values.update({p["Name"]: p["Value"] for p in found})
    return values, unread


def _why(exc: Exception) -> str:
    """The AWS error code (AccessDeniedException, ResourceNotFoundException...), never a value."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", type(exc).__name__))
    return type(exc).__name__
