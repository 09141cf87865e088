"""Label providers: the built-in PDF, and EasyPost and Shippo through their SDKs against local stand-ins."""

from decimal import Decimal

import pytest

from app.adapters.labels.builtin import BuiltinLabelProvider, tracking_number
from app.adapters.labels.easypost import EasyPostLabelProvider
from app.adapters.labels.ports import NothingBought
from app.adapters.labels.shippo import ShippoLabelProvider
from app.adapters.labels.types import Address, LabelRequest, Parcel
from app.errors import InvalidInput, UpstreamError
from tests.support.label_standins import (
    EasyPostStandIn,
    ShippoStandIn,
    pdf_content_text,
    pdf_media_boxes,
)

CUSTOMER = Address(
    name="Ada Lovelace",
    line1="12 Ockham Lane",
    line2=None,
    city="Portland",
    province="OR",
    zip="97201",
    country_code="US",
    phone="5035550100",
)
MERCHANT = Address(
    name="Petite Plume Returns",
    line1="215 Clayton St.",
    line2="Suite 2",
    city="San Francisco",
    province="CA",
    zip="94117",
    country_code="US",
    phone="4155550100",
)
PARCEL = Parcel(Decimal("14.5"), Decimal("10"), Decimal("8"), Decimal("3"))


def _request(reference: str = "hm-a1b2c3d4e5f60718293a-label", number: str = "K7M2QX9P"):
    return LabelRequest(
        reference=reference,
        rma_number=number,
        ship_from=CUSTOMER,
        ship_to=MERCHANT,
        parcel=PARCEL,
        shop="petite-plume.myshopify.com",
    )


@pytest.fixture
def easypost():
    with EasyPostStandIn() as standin:
        yield standin


@pytest.fixture
def shippo():
    with ShippoStandIn() as standin:
        yield standin


def _ep(standin, timeout_s=2.0, **kwargs):
    return EasyPostLabelProvider(standin.api_key, standin.api_base, timeout_s=timeout_s, **kwargs)


def _sh(standin, timeout_s=2.0, **kwargs):
    return ShippoLabelProvider(
        standin.api_key, standin.url, timeout_s=timeout_s, sleep=lambda s: None, **kwargs
    )


# --- built-in ---------------------------------------------------------------------------


def test_builtin_label_is_a_4x6_pdf_with_the_rma_number_when_made():
    label = BuiltinLabelProvider().buy_return_label(_request())

    assert label.pdf.startswith(b"%PDF-")
    assert pdf_media_boxes(label.pdf) == [(0.0, 0.0, 288.0, 432.0)]
    text = pdf_content_text(label.pdf)
    for expected in (
        "(K7M2QX9P) Tj",
        "(PREPAID RETURN) Tj",
        "(Ada Lovelace) Tj",
        "(Petite Plume Returns) Tj",
    ):
        assert expected in text
    assert (label.cost, label.provider, label.label_url) == (Decimal("0.00"), "builtin", None)


def test_builtin_label_is_the_same_when_made_again_under_the_same_reference():
    first = BuiltinLabelProvider().buy_return_label(_request())
    again = BuiltinLabelProvider().buy_return_label(_request())
    other = BuiltinLabelProvider().buy_return_label(_request(reference="hm-other-label"))

    assert again.pdf == first.pdf
    assert again.tracking_number == first.tracking_number == tracking_number(first.reference)
    assert other.tracking_number != first.tracking_number
    assert BuiltinLabelProvider().find_by_reference(first.reference) is None


def test_builtin_label_prints_names_in_other_scripts_when_the_customer_writes_chinese():
    chinese = Address("王小明", "朝阳区建国路 88 号", None, "北京", None, "100022", "CN", None)
    req = LabelRequest("hm-zh", "K7M2QX9P", chinese, MERCHANT, PARCEL, "petite-plume.myshopify.com")
    pdf = BuiltinLabelProvider().buy_return_label(req).pdf
    assert b"STSong-Light" in pdf  # the CJK font is used, not Helvetica's empty boxes


# --- EasyPost -----------------------------------------------------------------------------


def test_easypost_buys_the_cheapest_allowed_rate_as_a_return_when_asked(easypost):
    label = _ep(easypost).buy_return_label(_request())

    create = easypost.calls("create_shipment")[0]
    shipment = create.body["shipment"]
    assert create.headers["Authorization"] == f"Bearer {easypost.api_key}"
    assert shipment["is_return"] is True
    assert shipment["reference"] == "hm-a1b2c3d4e5f60718293a-label"
    # EasyPost swaps the outbound addresses itself: the customer goes in to_address.
    assert shipment["to_address"]["name"] == "Ada Lovelace"
    assert shipment["from_address"]["name"] == "Petite Plume Returns"
    assert shipment["options"]["label_format"] == "PDF"
    bought_rate = easypost.calls("buy")[0].body["rate"]["id"]
    stored = next(iter(easypost.shipments.values()))
    assert bought_rate == next(
        r["id"]
        for r in stored["rates"]
        if r["carrier"] == "USPS" and r["service"] == "GroundAdvantage"
    )
    assert stored["to_address"]["name"] == "Petite Plume Returns"  # the label goes to the merchant
    assert (label.carrier, label.service, label.cost, label.currency) == (
        "USPS",
        "GroundAdvantage",
        Decimal("5.93"),
        "USD",
    )
    assert label.tracking_number == stored["tracking_code"]
    assert label.label_url.endswith(".pdf") and label.pdf is None
    assert easypost.purchases == 1


def test_easypost_finds_the_purchase_when_looking_up_its_reference(easypost):
    provider = _ep(easypost, page_size=2)
    for i in range(4):
        provider.buy_return_label(_request(reference=f"hm-other-{i}"))
    bought = provider.buy_return_label(_request(reference="hm-wanted"))
    for i in range(4, 7):
        provider.buy_return_label(_request(reference=f"hm-other-{i}"))

    found = provider.find_by_reference("hm-wanted")

    assert found == bought
    assert len(easypost.calls("list_shipments")) == 2  # newest first: page two holds it
    assert provider.find_by_reference("hm-never-bought") is None


def test_easypost_lookup_refuses_to_answer_none_when_it_could_not_see_everything(easypost):
    provider = _ep(easypost, page_size=1, max_pages=2)
    for i in range(3):
        provider.buy_return_label(_request(reference=f"hm-other-{i}"))
    with pytest.raises(UpstreamError) as err:
        provider.find_by_reference("hm-never-bought")
    assert not err.value.retryable


def test_easypost_failure_before_buying_is_nothing_bought_when_creating_fails(easypost):
    easypost.fail("create_shipment", status=500)
    with pytest.raises(NothingBought) as err:
        _ep(easypost).buy_return_label(_request())
    assert err.value.retryable and easypost.purchases == 0


def test_easypost_refusal_is_permanent_with_its_message_when_params_are_invalid(easypost):
    bad = _request()
    bad = LabelRequest(
        bad.reference,
        bad.rma_number,
        CUSTOMER,
        MERCHANT,
        Parcel(Decimal(0), Decimal(1), Decimal(1), Decimal(1)),
        bad.shop,
    )
    with pytest.raises(NothingBought) as err:
        _ep(easypost).buy_return_label(bad)
    assert not err.value.retryable
    assert "one or more parameters were invalid" in str(err.value)


def test_easypost_server_error_on_buying_is_retryable_but_maybe_bought_when_it_happens(easypost):
    easypost.fail("buy", status=503, after=True)
    with pytest.raises(UpstreamError) as err:
        _ep(easypost).buy_return_label(_request())
    assert err.value.retryable and not isinstance(err.value, NothingBought)
    assert easypost.purchases == 1  # the provider did buy; only the answer was lost


def test_easypost_timeout_on_buying_is_retryable_when_the_answer_never_comes(easypost):
    easypost.stall("buy", seconds=5)
    with pytest.raises(UpstreamError) as err:
        _ep(easypost, timeout_s=0.5).buy_return_label(_request())
    assert err.value.retryable and not isinstance(err.value, NothingBought)
    assert easypost.purchases == 1


def test_easypost_refused_purchase_bought_nothing_when_payment_fails(easypost):
    easypost.fail(
        "buy",
        status=402,
        body={
            "error": {"code": "PAYMENT.REQUIRED", "message": "Add a payment method.", "errors": []}
        },
    )
    with pytest.raises(NothingBought) as err:
        _ep(easypost).buy_return_label(_request())
    assert not err.value.retryable and "Add a payment method." in str(err.value)


def test_easypost_wrong_key_is_a_permanent_error_when_unauthorized(easypost):
    provider = EasyPostLabelProvider("EZTK_wrong", easypost.api_base, timeout_s=2)
    with pytest.raises(UpstreamError) as err:
        provider.buy_return_label(_request())
    assert not err.value.retryable and "no longer active" in str(err.value)


def test_easypost_buys_nothing_when_no_allowed_carrier_offers_a_rate(easypost):
    with pytest.raises(NothingBought, match="no rate from DHLExpress"):
        _ep(easypost, carriers=("DHLExpress",)).buy_return_label(_request())
    assert easypost.calls("buy") == []


# --- Shippo ---------------------------------------------------------------------------------


def test_shippo_buys_a_return_with_a_qr_code_when_asked(shippo):
    label = _sh(shippo).buy_return_label(_request())

    create = shippo.calls("create_shipment")[0]
    assert create.headers["Authorization"] == f"ShippoToken {shippo.api_key}"
    assert create.body["extra"] == {
        "is_return": True,
        "reference_1": "hm-a1b2c3d4e5f60718293a-label",
        "qr_code_requested": True,
    }
    assert create.body["metadata"] == "hm-a1b2c3d4e5f60718293a-label"
    # Shippo swaps the outbound addresses itself: the merchant goes in address_from.
    assert create.body["address_from"]["name"] == "Petite Plume Returns"
    assert create.body["address_to"]["name"] == "Ada Lovelace"
    assert create.body["async"] is False
    purchase = shippo.calls("buy")[0].body
    assert purchase["label_file_type"] == "PDF_4x6"
    assert purchase["metadata"] == "hm-a1b2c3d4e5f60718293a-label"
    # The cheapest of the allowed carriers (DHL Express is cheaper but not allowed).
    assert (label.carrier, label.service, label.cost) == (
        "USPS",
        "Ground Advantage",
        Decimal("6.12"),
    )
    assert label.qr_code_url.endswith("-qr.png") and label.label_url.endswith(".pdf")
    assert label.tracking_url.startswith("https://tools.usps.com/")
    assert shippo.purchases == 1


def test_shippo_waits_for_a_queued_purchase_when_shippo_is_slow(shippo):
    shippo.queued_polls = 2
    label = _sh(shippo).buy_return_label(_request())
    assert label.tracking_number and len(shippo.calls("get_transaction")) == 2


def test_shippo_carrier_refusal_bought_nothing_when_the_transaction_errs(shippo):
    shippo.transaction_error = "The address_from is not a valid USPS address."
    with pytest.raises(NothingBought) as err:
        _sh(shippo).buy_return_label(_request())
    assert not err.value.retryable and "not a valid USPS address" in str(err.value)
    assert shippo.purchases == 0


def test_shippo_finds_the_purchase_by_reference_across_pages_when_retrying(shippo):
    provider = _sh(shippo, page_size=2)
    bought = provider.buy_return_label(_request(reference="hm-wanted"))
    for i in range(4):
        provider.buy_return_label(_request(reference=f"hm-other-{i}"))

    assert provider.find_by_reference("hm-wanted") == bought
    assert [c.query["page"] for c in shippo.calls("list_transactions")] == ["1", "2", "3"]
    assert provider.find_by_reference("hm-never-bought") is None


def test_shippo_validation_error_bought_nothing_when_the_shipment_is_refused(shippo):
    bad = LabelRequest(
        "hm-x", "K7M2QX9P", Address("Ada", "", None, "", None, "", "US"), MERCHANT, PARCEL, "s"
    )
    with pytest.raises(NothingBought) as err:
        _sh(shippo).buy_return_label(bad)
    assert not err.value.retryable and "This field is required." in str(err.value)


def test_shippo_server_error_on_buying_is_retryable_and_maybe_bought_when_it_happens(shippo):
    shippo.fail("buy", status=502, after=True)
    with pytest.raises(UpstreamError) as err:
        _sh(shippo).buy_return_label(_request())
    assert err.value.retryable and not isinstance(err.value, NothingBought)
    assert shippo.purchases == 1


def test_shippo_timeout_is_retryable_when_the_answer_never_comes(shippo):
    shippo.stall("buy", seconds=5)
    with pytest.raises(UpstreamError) as err:
        _sh(shippo, timeout_s=0.5).buy_return_label(_request())
    assert err.value.retryable and not isinstance(err.value, NothingBought)
    assert shippo.purchases == 1


def test_shippo_wrong_key_is_permanent_when_unauthorized(shippo):
    provider = ShippoLabelProvider("shippo_test_wrong", shippo.url, timeout_s=2)
    with pytest.raises(NothingBought) as err:
        provider.buy_return_label(_request())
    assert not err.value.retryable and "Invalid token." in str(err.value)


def test_shippo_refuses_a_reference_longer_than_its_metadata_when_buying(shippo):
    with pytest.raises(InvalidInput):
        _sh(shippo).buy_return_label(_request(reference="x" * 101))
    assert shippo.requests == []
