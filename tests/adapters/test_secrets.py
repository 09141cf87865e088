"""Settings by reference: SSM parameters and Secrets Manager secrets on moto, read at cold start."""

import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from app.config import Settings
from app.errors import ConfigError
from app.secrets import resolve_references

ROOT = Path(__file__).resolve().parents[2]
SHOPIFY_SECRET = "shpss_0123456789abcdef0123456789abcdef"
SIGNING_KEY = "portal-signing-key-0123456789abcdef-0123"


def _stage_environment(stage: str) -> dict[str, str]:
    """The Lambda environment zappa_settings.json gives a stage (`extends` applied)."""
    settings = json.loads((ROOT / "zappa_settings.json").read_text())
    config = settings[stage]
    while "aws_environment_variables" not in config:
        config = settings[config["extends"]]
    return {"AWS_REGION": "us-east-1", **config["aws_environment_variables"]}


def _store_values(env: dict[str, str]) -> None:
    """Put a valid value behind every reference of the environment (inside mock_aws)."""
    ssm = boto3.client("ssm", region_name="us-east-1")
    secrets = boto3.client("secretsmanager", region_name="us-east-1")
    values = {
        "HEMLINE_APP_URL": "https://returns.hemline.test",
        "HEMLINE_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/hemline-prod-webhooks",
        "HEMLINE_FILES_BUCKET": "hemline-prod-files-123456789012",
        "HEMLINE_MAIL_SENDER": "Hemline Returns <returns@mail.hemline.test>",
        "SHOPIFY_API_KEY": "0123456789abcdef0123456789abcdef",
        "SHOPIFY_API_SECRET": SHOPIFY_SECRET,
        "HEMLINE_SECRET_KEY": SIGNING_KEY,
    }
    for key, name in env.items():
        if key.endswith("_SSM_PARAMETER"):
            value = values[key.removesuffix("_SSM_PARAMETER")]
            ssm.put_parameter(Name=name, Value=value, Type="SecureString")
        elif key.endswith("_SECRET_ARN"):
            value = values[key.removesuffix("_SECRET_ARN")]
            secrets.create_secret(Name=name, SecretString=value)


@pytest.fixture
def aws():
    with mock_aws():
        yield


@pytest.mark.parametrize("stage", ["prod", "dev"])
def test_prod_settings_come_from_the_references_in_zappa_settings(aws, stage):
    # GIVEN the stage's Lambda environment, which names where each value lives
    env = _stage_environment(stage)
    _store_values(env)
    # WHEN the app reads its settings at cold start
    settings = Settings.from_env(env)
    # THEN every referenced value is in place and the settings validate as prod
    assert settings.env == "prod"
    assert settings.shopify_api_secret == SHOPIFY_SECRET
    assert settings.secret_key == SIGNING_KEY
    assert settings.app_url == "https://returns.hemline.test"
    assert settings.files_bucket == "hemline-prod-files-123456789012"
    assert settings.table_name == f"hemline-{stage}"


def test_zappa_settings_hold_no_secret_values():
    for stage in ("prod", "dev"):
        env = _stage_environment(stage)
        assert not {"SHOPIFY_API_SECRET", "HEMLINE_SECRET_KEY", "HEMLINE_TOKEN_KEY"} & env.keys()


def test_more_than_ten_parameters_are_read_in_batches(aws):
    ssm = boto3.client("ssm", region_name="us-east-1")
    env = {}
    for i in range(12):
        ssm.put_parameter(Name=f"/hemline/test/p{i}", Value=f"value-{i}", Type="SecureString")
        env[f"SETTING_{i}_SSM_PARAMETER"] = f"/hemline/test/p{i}"
    resolved = resolve_references(env, ssm=ssm)
    assert {resolved[f"SETTING_{i}"] for i in range(12)} == {f"value-{i}" for i in range(12)}


def test_missing_parameter_and_secret_are_named_together(aws):
    env = {
        "AWS_REGION": "us-east-1",
        "SHOPIFY_API_KEY_SSM_PARAMETER": "/hemline/prod/nowhere",
        "SHOPIFY_API_SECRET_SECRET_ARN": "hemline/prod/nowhere",
    }
    with pytest.raises(ConfigError) as err:
        resolve_references(env)
    problems = "\n".join(err.value.problems)
    assert "SHOPIFY_API_KEY_SSM_PARAMETER names '/hemline/prod/nowhere'" in problems
    assert "SHOPIFY_API_SECRET_SECRET_ARN: secret 'hemline/prod/nowhere'" in problems
    assert "ResourceNotFoundException" in problems


def test_denied_read_names_the_error_code_and_never_a_value():
    ssm = boto3.client(
        "ssm", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(ssm) as stub:
        stub.add_client_error("get_parameters", service_error_code="AccessDeniedException")
        with pytest.raises(ConfigError) as err:
            resolve_references({"SHOPIFY_API_KEY_SSM_PARAMETER": "/hemline/prod/key"}, ssm=ssm)
    assert err.value.problems == [
        "SSM parameters /hemline/prod/key could not be read (AccessDeniedException)"
    ]


def test_value_set_directly_and_by_reference_is_refused():
    with pytest.raises(ConfigError) as err:
        resolve_references(
            {"HEMLINE_SECRET_KEY": SIGNING_KEY, "HEMLINE_SECRET_KEY_SECRET_ARN": "hemline/x"}
        )
    assert err.value.problems == ["HEMLINE_SECRET_KEY is set directly and by reference; keep one"]


def test_environment_without_references_is_returned_as_is_without_aws():
    env = {"HEMLINE_ENV": "prod", "HEMLINE_TABLE": "hemline-prod"}
    assert resolve_references(env) == env


def test_references_are_not_read_outside_prod(aws):
    # GIVEN a local environment naming a parameter that does not exist
    env = {"HEMLINE_ENV": "local", "HEMLINE_SECRET_KEY_SSM_PARAMETER": "/hemline/local/nowhere"}
    # WHEN settings are read, THEN nothing is fetched and the local default applies
    settings = Settings.from_env(env)
    assert settings.secret_key.startswith("hemline-local-signing-key")
