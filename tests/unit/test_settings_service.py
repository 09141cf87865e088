"""The shop settings service: every field validated at once, exact percentages, the label
API key encrypted, kept, replaced or removed, and only owners and managers may save."""

from __future__ import annotations

import base64
from dataclasses import replace
from decimal import Decimal

import pytest

from app.adapters.crypto import LocalTokenCipher
from app.domain.shops import Shop
from app.errors import InvalidInput, NotAllowed, UpstreamError
from app.services import settings as s

DOMAIN = "petite-plume.myshopify.com"
EASYPOST_KEY = "EZTK_petite_plume_4242"
SHIPPO_KEY = "shippo_test_petite_plume_9090"


class InMemoryShops:
    """The one store method the service uses: put_shop, remembered by domain."""

    def __init__(self) -> None:
        self.shops: dict[str, Shop] = {}
        self.writes = 0

    def put_shop(self, shop: Shop) -> None:
        self.shops[shop.domain] = shop
        self.writes += 1


@pytest.fixture
def cipher() -> LocalTokenCipher:
    return LocalTokenCipher(base64.b64encode(b"k" * 32).decode())


@pytest.fixture
def store() -> InMemoryShops:
    return InMemoryShops()


def fresh_shop(**kw) -> Shop:
    return Shop(**{"domain": DOMAIN, "status": "installed", "name": "Petite Plume", **kw})


def filled(**over: str) -> dict[str, str]:
    """The form as a merchant fills it in (the hidden id_token rides along)."""
    form = {
        "id_token": "ignored",
        "address_name": "Petite Plume Returns",
        "address_line1": "18 Orchard Street",
        "address_line2": "",
        "address_city": "Brooklyn",
        "address_province": "NY",
        "address_zip": "11201",
        "address_country_code": "us",
        "address_phone": "",
        "label_provider": "builtin",
        "label_api_key": "",
        "sender_email": "hello@petiteplume.com",
        "support_email": "",
        "store_credit_bonus_percent": "7.5",
    }
    form.update(over)
    return form


def save(store, cipher, shop, form, role="owner") -> Shop:
    return s.update_settings(store, cipher, shop, form, by_role=role)


def errors_of(store, cipher, shop, form, role="owner") -> dict[str, str]:
    with pytest.raises(s.InvalidSettings) as caught:
        save(store, cipher, shop, form, role)
    assert store.writes == 0, "nothing is written when a field is wrong"
    return caught.value.errors


# -- a good form ---------------------------------------------------------------------------


def test_owner_saves_address_emails_and_bonus_when_the_form_is_valid(store, cipher):
    saved = save(store, cipher, fresh_shop(), filled())
    assert store.shops[DOMAIN] == saved
    assert saved.return_address == {
        "name": "Petite Plume Returns",
        "line1": "18 Orchard Street",
        "city": "Brooklyn",
        "province": "NY",
        "zip": "11201",
        "country_code": "US",  # upper-cased
    }
    assert saved.sender_email == "hello@petiteplume.com"
    assert saved.support_email is None  # never set, left blank: still unset
    assert saved.store_credit_bonus_percent == Decimal("7.5")
    assert saved.label_provider == "builtin" and saved.label_api_key_encrypted is None
    # What the service does not own is untouched.
    assert (saved.name, saved.status, saved.policy_preset) == (
        "Petite Plume",
        "installed",
        "petite-plume",
    )


def test_a_manager_may_save_too(store, cipher):
    assert save(store, cipher, fresh_shop(), filled(), role="manager").sender_email


@pytest.mark.parametrize("role", ["supervisor", "agent", "staff", ""])
def test_other_roles_are_refused_before_anything_is_looked_at(store, cipher, role):
    with pytest.raises(NotAllowed):
        save(store, cipher, fresh_shop(), {"label_provider": "nonsense"}, role)
    assert store.writes == 0


def test_values_are_trimmed_and_email_domains_lower_cased(store, cipher):
    saved = save(
        store,
        cipher,
        fresh_shop(),
        filled(
            address_line1="  18 Orchard Street ",
            address_phone=" +1 (212) 555-0100 ",
            address_line2="Unit 4",
            sender_email=" Ann.Lee+returns@Petite-Plume.CO.uk ",
        ),
    )
    assert saved.return_address["line1"] == "18 Orchard Street"
    assert saved.return_address["line2"] == "Unit 4"
    assert saved.return_address["phone"] == "+1 (212) 555-0100"
    assert saved.sender_email == "Ann.Lee+returns@petite-plume.co.uk"


def test_optional_address_parts_left_blank_are_dropped_from_the_saved_address(store, cipher):
    shop = fresh_shop(return_address={"line1": "old", "line2": "Suite 9", "zip": "1"})
    saved = save(store, cipher, shop, filled(address_line2="", address_phone=""))
    assert "line2" not in saved.return_address and "phone" not in saved.return_address


def test_clearing_a_saved_email_unsets_it(store, cipher):
    shop = fresh_shop(sender_email="old@petiteplume.com", support_email="ops@petiteplume.com")
    saved = save(store, cipher, shop, filled(sender_email="", support_email="  "))
    assert saved.sender_email is None and saved.support_email is None


# -- field rules ---------------------------------------------------------------------------


def test_every_problem_is_reported_at_once_and_the_first_is_the_field(store, cipher):
    blank = dict.fromkeys(filled(), "")
    errors = errors_of(store, cipher, fresh_shop(), blank)
    assert list(errors) == [
        "address_name",
        "address_line1",
        "address_city",
        "address_zip",
        "address_country_code",
        "label_provider",
        "store_credit_bonus_percent",
    ]
    with pytest.raises(InvalidInput) as caught:  # one of the error taxonomy's own
        save(store, cipher, fresh_shop(), blank)
    assert caught.value.field == "address_name"
    assert "Enter the name parcels are addressed to" in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("address_line1", "   ", "Enter the street address."),
        ("address_line1", "18 Orchard\nStreet", "no line breaks"),
        ("address_line1", "x" * 101, "at most 100 characters"),
        ("address_city", "", "Enter the city."),
        ("address_zip", "", "Enter the ZIP or postal code."),
        ("address_zip", "112/01", "letters, numbers, spaces and hyphens"),
        ("address_zip", "1" * 21, "at most 20 characters"),
        ("address_country_code", "USA", "two-letter country code"),
        ("address_country_code", "ZZ", "two-letter country code"),
        ("address_country_code", "U", "two-letter country code"),
        ("address_phone", "call me", "Enter a phone number"),
        ("address_phone", "12345", "Enter a phone number"),
        ("label_provider", "fedex", "Choose Hemline's built-in labels, EasyPost, Shippo."),
        ("label_provider", "", "Choose"),
    ],
)
def test_address_and_provider_rules(store, cipher, field, value, message):
    errors = errors_of(store, cipher, fresh_shop(), filled(**{field: value}))
    assert list(errors) == [field]
    assert message in errors[field]


@pytest.mark.parametrize("code", ["gb", "Fr", "CN", "XK"])
def test_country_codes_are_iso_and_upper_cased(store, cipher, code):
    saved = save(store, cipher, fresh_shop(), filled(address_country_code=code))
    assert saved.return_address["country_code"] == code.upper()


@pytest.mark.parametrize(
    "email",
    [
        "returns",
        "returns@",
        "@petiteplume.com",
        "ann@lee@petiteplume.com",
        "ann lee@petiteplume.com",
        "ann@localhost",
        "ann@petiteplume..com",
        "ann@-petiteplume.com",
        ".ann@petiteplume.com",
        "ann.@petiteplume.com",
        "ann@petiteplume.123",
        "ann@petite_plume.com",
        "a" * 65 + "@petiteplume.com",
        "ann@" + "p" * 250 + ".com",
    ],
)
@pytest.mark.parametrize("field", ["sender_email", "support_email"])
def test_bad_emails_are_refused(store, cipher, field, email):
    errors = errors_of(store, cipher, fresh_shop(), filled(**{field: email}))
    assert list(errors) == [field]


def test_an_email_longer_than_254_characters_says_so(store, cipher):
    long = "a" * 60 + "@" + ".".join(["p" * 60] * 4) + ".com"
    assert len(long) > 254
    errors = errors_of(store, cipher, fresh_shop(), filled(support_email=long))
    assert errors == {"support_email": "Use at most 254 characters."}


@pytest.mark.parametrize(
    ("typed", "saved"),
    [
        ("0", "0"),
        ("7.5", "7.5"),
        ("12.25", "12.25"),
        ("50", "50"),
        ("50.00", "50.00"),
        ("05", "5"),
        ("10 %", "10"),
        ("0.10", "0.10"),
    ],
)
def test_bonus_is_an_exact_decimal(store, cipher, typed, saved):
    bonus = save(store, cipher, fresh_shop(), filled(store_credit_bonus_percent=typed))
    value = bonus.store_credit_bonus_percent
    assert type(value) is Decimal and format(value, "f") == saved


def test_bonus_never_goes_through_float(store, cipher):
    # 0.1 + 0.2 in binary floating point is 0.30000000000000004; typed, it stays 0.3.
    saved = save(store, cipher, fresh_shop(), filled(store_credit_bonus_percent="0.3"))
    assert saved.store_credit_bonus_percent == Decimal("0.1") + Decimal("0.2")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter a percentage from 0 to 50"),
        ("50.01", "from 0 to 50"),
        ("51", "from 0 to 50"),
        ("-1", "like 5 or 7.5"),
        ("7.555", "at most 2 decimal places"),
        ("7,5", "like 5 or 7.5"),
        ("1e1", "like 5 or 7.5"),
        ("NaN", "like 5 or 7.5"),
        ("Infinity", "like 5 or 7.5"),
        (".5", "like 5 or 7.5"),
        ("5.", "like 5 or 7.5"),
        ("9" * 40, "like 5 or 7.5"),
    ],
)
def test_bad_bonus_is_refused(store, cipher, typed, message):
    errors = errors_of(store, cipher, fresh_shop(), filled(store_credit_bonus_percent=typed))
    assert list(errors) == ["store_credit_bonus_percent"]
    assert message in errors["store_credit_bonus_percent"]


# -- the label provider's API key ----------------------------------------------------------


def easypost_shop(store, cipher) -> Shop:
    return save(
        store, cipher, fresh_shop(), filled(label_provider="easypost", label_api_key=EASYPOST_KEY)
    )


def test_choosing_easypost_without_a_saved_key_asks_for_one(store, cipher):
    errors = errors_of(store, cipher, fresh_shop(), filled(label_provider="easypost"))
    assert errors == {"label_api_key": "Enter your EasyPost API key."}


def test_a_typed_key_is_saved_encrypted_for_this_shop_only(store, cipher):
    saved = easypost_shop(store, cipher)
    stored = store.shops[DOMAIN].label_api_key_encrypted
    assert saved.label_provider == "easypost" and stored
    assert EASYPOST_KEY.encode() not in stored and b"petite_plume_4242" not in stored
    assert s.decrypt_label_key(cipher, saved) == EASYPOST_KEY
    # The ciphertext is bound to the shop: copied onto another shop it does not decrypt.
    other = replace(saved, domain="someone-else.myshopify.com")
    with pytest.raises(UpstreamError):
        s.decrypt_label_key(cipher, other)


def test_an_empty_key_field_keeps_the_saved_key(store, cipher):
    first = easypost_shop(store, cipher)
    again = save(store, cipher, first, filled(label_provider="easypost", sender_email="new@pp.com"))
    assert again.label_api_key_encrypted == first.label_api_key_encrypted
    assert s.decrypt_label_key(cipher, again) == EASYPOST_KEY


def test_a_new_key_replaces_the_saved_one(store, cipher):
    first = easypost_shop(store, cipher)
    again = save(
        store, cipher, first, filled(label_provider="easypost", label_api_key="EZAK_live_777777")
    )
    assert s.decrypt_label_key(cipher, again) == "EZAK_live_777777"


def test_switching_to_builtin_keeps_the_key_until_it_is_removed(store, cipher):
    builtin = save(store, cipher, easypost_shop(store, cipher), filled(label_provider="builtin"))
    assert s.has_label_key(builtin) and s.decrypt_label_key(cipher, builtin) == EASYPOST_KEY
    # Back to EasyPost with the saved key: no need to paste it again.
    back = save(store, cipher, builtin, filled(label_provider="easypost"))
    assert s.decrypt_label_key(cipher, back) == EASYPOST_KEY
    removed = save(
        store, cipher, builtin, filled(label_provider="builtin", remove_label_api_key="1")
    )
    assert not s.has_label_key(removed) and s.decrypt_label_key(cipher, removed) is None
    assert store.shops[DOMAIN].label_api_key_encrypted is None


def test_the_key_cannot_be_removed_while_a_paid_provider_uses_it(store, cipher):
    shop = easypost_shop(store, cipher)
    store.writes = 0
    errors = errors_of(
        store, cipher, shop, filled(label_provider="easypost", remove_label_api_key="1")
    )
    assert errors == {
        "remove_label_api_key": "Switch to Hemline's built-in labels before removing the key."
    }


def test_moving_from_easypost_to_shippo_needs_a_shippo_key(store, cipher):
    shop = easypost_shop(store, cipher)
    store.writes = 0
    errors = errors_of(store, cipher, shop, filled(label_provider="shippo"))
    assert errors == {"label_api_key": "The saved key is for EasyPost. Enter your Shippo API key."}
    moved = save(store, cipher, shop, filled(label_provider="shippo", label_api_key=SHIPPO_KEY))
    assert s.decrypt_label_key(cipher, moved) == SHIPPO_KEY


@pytest.mark.parametrize(
    ("provider", "key", "message"),
    [
        ("easypost", SHIPPO_KEY, "This looks like a key for Shippo, not EasyPost."),
        ("shippo", EASYPOST_KEY, "This looks like a key for EasyPost, not Shippo."),
        ("easypost", "EZTK with spaces", "no spaces"),
        ("easypost", "short", "8 to 256 characters"),
        ("easypost", "EZTK" + "x" * 253, "8 to 256 characters"),
    ],
)
def test_bad_keys_are_refused_and_never_echoed(store, cipher, provider, key, message):
    errors = errors_of(
        store, cipher, fresh_shop(), filled(label_provider=provider, label_api_key=key)
    )
    assert list(errors) == ["label_api_key"] and message in errors["label_api_key"]
    assert key not in errors["label_api_key"]


def test_typing_a_key_and_ticking_remove_is_ambiguous(store, cipher):
    builtin = save(store, cipher, easypost_shop(store, cipher), filled(label_provider="builtin"))
    store.writes = 0
    errors = errors_of(
        store,
        cipher,
        builtin,
        filled(label_provider="builtin", label_api_key=EASYPOST_KEY, remove_label_api_key="1"),
    )
    assert list(errors) == ["label_api_key"]


def test_no_key_is_encrypted_when_another_field_is_wrong(store):
    class CountingCipher(LocalTokenCipher):
        calls = 0

        def encrypt(self, plaintext, context):
            CountingCipher.calls += 1
            return super().encrypt(plaintext, context)

    counting = CountingCipher(base64.b64encode(b"k" * 32).decode())
    form = filled(label_provider="easypost", label_api_key=EASYPOST_KEY, address_zip="")
    errors_of(store, counting, fresh_shop(), form)
    assert CountingCipher.calls == 0


# -- the form as the page shows it ----------------------------------------------------------


def test_the_form_of_a_new_shop_starts_from_its_name_and_country():
    form = s.settings_form(fresh_shop(country="GB"))
    assert form["address_name"] == "Petite Plume" and form["address_country_code"] == "GB"
    assert form["label_provider"] == "builtin" and form["store_credit_bonus_percent"] == "0"
    assert "label_api_key" not in form


def test_the_form_shows_what_was_saved_but_never_the_key(store, cipher):
    saved = easypost_shop(store, cipher)
    form = s.settings_form(saved)
    assert form["address_line1"] == "18 Orchard Street" and form["address_line2"] == ""
    assert form["store_credit_bonus_percent"] == "7.5"
    assert EASYPOST_KEY not in repr(form) and "label_api_key" not in form
