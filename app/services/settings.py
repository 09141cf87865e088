"""The merchant's shop settings: return address, label provider and its API key, emails and
the store-credit bonus. The whole form is validated before anything is encrypted or written,
and every problem is reported against its field at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Protocol

from app.adapters.crypto import TokenCipher
from app.domain.shops import Shop
from app.errors import InvalidInput, NotAllowed
from app.observability import logger

SETTINGS_EDITORS = frozenset({"owner", "manager"})
PROVIDERS = ("builtin", "easypost", "shippo")
PROVIDER_NAMES = {
    "builtin": "Hemline's built-in labels",
    "easypost": "EasyPost",
    "shippo": "Shippo",
}
# Providers that bill the merchant's own account, so need the merchant's API key.
KEYED_PROVIDERS = frozenset({"easypost", "shippo"})
# Key prefixes the providers document; a key that plainly belongs to the other one is refused.
KEY_PREFIXES = {"easypost": ("EZAK", "EZTK"), "shippo": ("shippo_live_", "shippo_test_")}
MAX_BONUS_PERCENT = Decimal("50")

# The return address as form fields: (part of Shop.return_address, required, max length).
ADDRESS_PARTS = (
    ("name", True, 100),
    ("line1", True, 100),
    ("line2", False, 100),
    ("city", True, 100),
    ("province", False, 100),
    ("zip", True, 20),
    ("country_code", True, 2),
    ("phone", False, 30),
)
FIELDS = (
    *(f"address_{part}" for part, _, _ in ADDRESS_PARTS),
    "label_provider",
    "label_api_key",
    "remove_label_api_key",
    "sender_email",
    "support_email",
    "store_credit_bonus_percent",
)

# ISO 3166-1 alpha-2 (the 249 assigned codes, as tzdata's iso3166.tab lists them), plus XK
# (Kosovo: user-assigned, but Shopify and the carriers use it).
COUNTRY_CODES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW XK
    """.split()
)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_ZIP = re.compile(r"[A-Za-z0-9][A-Za-z0-9 -]*")
_PHONE = re.compile(r"\+?[0-9 ().-]+")
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_BONUS = re.compile(r"(\d+)(?:\.(\d+))?")
_API_KEY = re.compile(r"[\x21-\x7e]{8,256}")


class ShopSettingsStore(Protocol):
    def put_shop(self, shop: Shop) -> None:
        """Write the shop's record; raises UpstreamError if the table is unavailable."""
        ...


class InvalidSettings(InvalidInput):
    """The settings form failed validation: `errors` maps each bad field to what to fix.

    An InvalidInput (naming the first bad field), so the edges map it to 422 like any other.
    """

    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        field, message = next(iter(self.errors.items()))
        super().__init__(message, field)


def can_edit_settings(role: str) -> bool:
    return role in SETTINGS_EDITORS


def ensure_can_edit_settings(role: str) -> None:
    """Raises NotAllowed unless the role may change the shop's settings."""
    if not can_edit_settings(role):
        raise NotAllowed("only an owner or a manager can change settings")


def key_context(shop: Shop) -> dict[str, str]:
    """The encryption context of a label API key: a key copied onto another shop won't decrypt."""
    return {"shop": shop.domain, "purpose": "label_api_key"}


def has_label_key(shop: Shop) -> bool:
    return bool(shop.label_api_key_encrypted)


def decrypt_label_key(cipher: TokenCipher, shop: Shop) -> str | None:
    """The shop's label API key in plain text, None when none is saved; raises UpstreamError
    if the key service fails or the ciphertext was made for another shop."""
    if not shop.label_api_key_encrypted:
        return None
    return cipher.decrypt(shop.label_api_key_encrypted, key_context(shop))


def settings_form(shop: Shop) -> dict[str, str]:
    """The form's fields as the shop has them now (never the API key)."""
    address = shop.return_address or {"name": shop.name or "", "country_code": shop.country}
    return {
        **{f"address_{part}": str(address.get(part) or "") for part, _, _ in ADDRESS_PARTS},
        "label_provider": shop.label_provider,
        "sender_email": shop.sender_email or "",
        "support_email": shop.support_email or "",
        "store_credit_bonus_percent": format(shop.store_credit_bonus_percent, "f"),
    }


def update_settings(
    store: ShopSettingsStore,
    cipher: TokenCipher,
    shop: Shop,
    form: Mapping[str, str],
    *,
    by_role: str,
) -> Shop:
    """Validate the settings form and save it; returns the shop as saved.

    Raises NotAllowed for a role that may not edit, InvalidSettings (every bad field) before
    anything is written, UpstreamError if the key service or the table fails.
    """
    ensure_can_edit_settings(by_role)
    errors: dict[str, str] = {}

    def text(field: str) -> str:
        value = form.get(field)
        return value.strip() if isinstance(value, str) else ""

    address: dict[str, str] = {}
    for part, required, max_len in ADDRESS_PARTS:
        field = f"address_{part}"
        problem, value = _address_part(part, text(field), required=required, max_len=max_len)
        if problem:
            errors[field] = problem
        elif value:
            # Blank optional parts are left out: the whole map is replaced on save.
            address[part] = value

    provider = text("label_provider")
    if provider not in PROVIDERS:
        errors["label_provider"] = "Choose " + ", ".join(PROVIDER_NAMES.values()) + "."
    typed_key = text("label_api_key")
    remove_key = text("remove_label_api_key") in ("1", "on", "true")
    key_problem = _key_problem(shop, provider, typed_key, remove_key)
    if key_problem:
        errors[key_problem[0]] = key_problem[1]

    emails: dict[str, str | None] = {}
    for field in ("sender_email", "support_email"):
        problem, value = _email(text(field))
        if problem:
            errors[field] = problem
        emails[field] = value

    bonus_problem, bonus = _bonus(text("store_credit_bonus_percent"))
    if bonus_problem:
        errors["store_credit_bonus_percent"] = bonus_problem

    if errors:
        raise InvalidSettings(errors)

    encrypted = shop.label_api_key_encrypted
    if typed_key:
        encrypted = cipher.encrypt(typed_key, key_context(shop))
    elif remove_key and encrypted:
        encrypted = None
    updated = replace(
        shop,
        return_address=address,
        label_provider=provider,
        label_api_key_encrypted=encrypted,
        sender_email=emails["sender_email"] or None,
        support_email=emails["support_email"] or None,
        store_credit_bonus_percent=bonus,
    )
    store.put_shop(updated)
    logger.info(
        "shop settings saved",
        extra={
            "shop": shop.domain,
            "label_provider": provider,
            "label_key": "replaced" if typed_key else "removed" if remove_key else "kept",
        },
    )
    return updated


def _address_part(part: str, value: str, *, required: bool, max_len: int) -> tuple[str, str]:
    """(problem or "", the cleaned value)."""
    if not value:
        return (_REQUIRED[part] if required else ""), ""
    if _CONTROL.search(value):
        return "Use letters, numbers and punctuation only (no line breaks).", ""
    if part == "country_code":
        code = value.upper()
        if code not in COUNTRY_CODES:
            return "Enter a two-letter country code, like US, GB or FR.", ""
        return "", code
    if len(value) > max_len:
        return f"Use at most {max_len} characters.", ""
    if part == "zip" and not _ZIP.fullmatch(value):
        return "Use letters, numbers, spaces and hyphens only.", ""
    if part == "phone" and not (
        _PHONE.fullmatch(value) and 6 <= sum(c.isdigit() for c in value) <= 15
    ):
        return "Enter a phone number, like +1 212 555 0100.", ""
    return "", value


_REQUIRED = {
    "name": "Enter the name parcels are addressed to.",
    "line1": "Enter the street address.",
    "city": "Enter the city.",
    "zip": "Enter the ZIP or postal code.",
    "country_code": "Enter a two-letter country code, like US, GB or FR.",
}


def _key_problem(shop: Shop, provider: str, typed: str, remove: bool) -> tuple[str, str] | None:
    """(field, problem) for the API key fields, or None."""
    name = PROVIDER_NAMES.get(provider, provider)
    if typed:
        if not _API_KEY.fullmatch(typed):
            return "label_api_key", "Paste the whole key: 8 to 256 characters, no spaces."
        if remove:
            return "label_api_key", "Type a new key or remove the saved one, not both."
        for other, prefixes in KEY_PREFIXES.items():
            if other != provider and provider in KEYED_PROVIDERS and typed.startswith(prefixes):
                return (
                    "label_api_key",
                    f"This looks like a key for {PROVIDER_NAMES[other]}, not {name}.",
                )
        return None
    if remove:
        if provider != "builtin":
            return (
                "remove_label_api_key",
                "Switch to Hemline's built-in labels before removing the key.",
            )
        return None
    if provider in KEYED_PROVIDERS:
        if not has_label_key(shop):
            return "label_api_key", f"Enter your {name} API key."
        if shop.label_provider in KEYED_PROVIDERS and shop.label_provider != provider:
            saved = PROVIDER_NAMES[shop.label_provider]
            return "label_api_key", f"The saved key is for {saved}. Enter your {name} API key."
    return None


def _email(value: str) -> tuple[str, str | None]:
    """(problem or "", the address with its domain lower-cased, or None when blank)."""
    if not value:
        return "", None
    example = "Enter an email address, like returns@yourshop.com."
    if len(value) > 254:
        return "Use at most 254 characters.", None
    if any(c.isspace() for c in value):
        return "Remove the spaces. " + example, None
    if value.count("@") != 1:
        return example, None
    local, domain = value.split("@")
    labels = domain.split(".")
    if (
        len(local) > 64
        or not _EMAIL_LOCAL.fullmatch(local)
        or len(labels) < 2
        or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels)
        or labels[-1].isdigit()
    ):
        return example, None
    return "", f"{local}@{domain.lower()}"


def _bonus(value: str) -> tuple[str, Decimal]:
    """(problem or "", the percentage); parsed from the text, never through float."""
    value = value.removesuffix("%").strip()
    if not value:
        return "Enter a percentage from 0 to 50 (0 for no bonus).", Decimal("0")
    match = _BONUS.fullmatch(value) if len(value) <= 12 else None
    if not match:
        return "Enter a number from 0 to 50, like 5 or 7.5.", Decimal("0")
    if match[2] and len(match[2]) > 2:
        return "Use at most 2 decimal places.", Decimal("0")
    percent = Decimal(value)
    if percent > MAX_BONUS_PERCENT:
        return "Enter a number from 0 to 50.", Decimal("0")
    return "", percent
