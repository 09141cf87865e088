"""Token ciphers: KMS on moto and the local AES-GCM key; ciphertext is bound to its shop."""

import base64
import os

import boto3
import pytest
from moto import mock_aws

from app.adapters.crypto import KmsTokenCipher, LocalTokenCipher
from app.errors import ConfigError, UpstreamError

CTX = {"shop": "a.myshopify.com", "purpose": "access_token"}
OTHER = {"shop": "b.myshopify.com", "purpose": "access_token"}


@pytest.fixture
def kms_cipher():
    with mock_aws():
        kms = boto3.client("kms", region_name="us-east-1")
        key_id = kms.create_key(Description="test")["KeyMetadata"]["KeyId"]
        yield KmsTokenCipher(kms, key_id)


@pytest.fixture
def local_cipher():
    return LocalTokenCipher(base64.b64encode(os.urandom(32)).decode())


@pytest.mark.parametrize("cipher_name", ["kms_cipher", "local_cipher"])
def test_token_round_trips_and_is_not_stored_in_clear(request, cipher_name):
    cipher = request.getfixturevalue(cipher_name)
    blob = cipher.encrypt("shpat_secret_token", CTX)
    assert b"shpat_secret_token" not in blob
    assert cipher.decrypt(blob, CTX) == "shpat_secret_token"


@pytest.mark.parametrize("cipher_name", ["kms_cipher", "local_cipher"])
def test_token_of_one_shop_does_not_decrypt_for_another(request, cipher_name):
    cipher = request.getfixturevalue(cipher_name)
    blob = cipher.encrypt("shpat_secret_token", CTX)
    with pytest.raises(UpstreamError) as err:
        cipher.decrypt(blob, OTHER)
    assert not err.value.retryable


def test_local_key_must_be_32_bytes():
    with pytest.raises(ConfigError, match="HEMLINE_TOKEN_KEY"):
        LocalTokenCipher(base64.b64encode(b"short").decode())
