"""Token ciphers: access and refresh tokens are encrypted before they reach the table.

KMS in AWS; AES-GCM with a local key in dev. Both bind the ciphertext to its
shop and purpose (KMS encryption context / GCM associated data), so a token
copied onto another shop's item does not decrypt.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from app.errors import ConfigError, UpstreamError


class TokenCipher(Protocol):
    def encrypt(self, plaintext: str, context: dict[str, str]) -> bytes:
        """Encrypt `plaintext` bound to `context`; raises UpstreamError if the key service fails."""
        ...

    def decrypt(self, ciphertext: bytes, context: dict[str, str]) -> str:
        """Decrypt; raises UpstreamError(retryable=False) if it was made for another context."""
        ...


def _aad(context: dict[str, str]) -> bytes:
    return json.dumps(context, sort_keys=True, separators=(",", ":")).encode()


def _invalid_tag() -> type[Exception]:
    from cryptography.exceptions import InvalidTag

    return InvalidTag


class LocalTokenCipher:
    """AES-256-GCM with a key from HEMLINE_TOKEN_KEY (base64, 32 bytes): local and test only.

    `cryptography` is imported here, not with the module: production uses KMS."""

    def __init__(self, key_b64: str):
        try:
            key = base64.b64decode(key_b64, validate=True)
        except ValueError as exc:
            raise ConfigError(["HEMLINE_TOKEN_KEY must be base64"]) from exc
        if len(key) != 32:
            raise ConfigError(["HEMLINE_TOKEN_KEY must decode to 32 bytes"])
        self._key = key
        self._aes_built: Any = None

    @property
    def _aes(self) -> Any:
        if self._aes_built is None:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            self._aes_built = AESGCM(self._key)
        return self._aes_built

    def encrypt(self, plaintext: str, context: dict[str, str]) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aes.encrypt(nonce, plaintext.encode(), _aad(context))

    def decrypt(self, ciphertext: bytes, context: dict[str, str]) -> str:
        try:
            return self._aes.decrypt(ciphertext[:12], ciphertext[12:], _aad(context)).decode()
        except _invalid_tag() as exc:
            raise UpstreamError("token does not decrypt for this shop", retryable=False) from exc


class KmsTokenCipher:
    """AWS KMS Encrypt/Decrypt with the shop as encryption context."""

    def __init__(self, client: Any, key_id: str):
        self._kms = client
        self._key_id = key_id

    def encrypt(self, plaintext: str, context: dict[str, str]) -> bytes:
        try:
            res = self._kms.encrypt(
                KeyId=self._key_id, Plaintext=plaintext.encode(), EncryptionContext=context
            )
        except (ClientError, BotoCoreError) as exc:
            raise UpstreamError(
                f"KMS encrypt failed: {type(exc).__name__}", retryable=True
            ) from exc
        return bytes(res["CiphertextBlob"])

    def decrypt(self, ciphertext: bytes, context: dict[str, str]) -> str:
        try:
            res = self._kms.decrypt(
                CiphertextBlob=ciphertext, EncryptionContext=context, KeyId=self._key_id
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise UpstreamError(
                f"KMS decrypt failed: {code}", retryable=code != "InvalidCiphertextException"
            ) from exc
        except BotoCoreError as exc:
            raise UpstreamError(f"KMS unreachable: {type(exc).__name__}", retryable=True) from exc
        return bytes(res["Plaintext"]).decode()
