"""Staff roles for approvals: the first user is the owner, others are staff until an owner says."""

from datetime import UTC, datetime, timedelta

import pytest

from app.errors import InvalidInput, NotAllowed
from app.services.staff import role_of, set_role
from app.session_tokens import SessionToken


def _session(shop, user):
    return SessionToken(
        shop=shop,
        user_id=user,
        session_id="s",
        expires_at=datetime.now(UTC) + timedelta(minutes=1),
        raw="",
    )


def test_first_user_becomes_owner_and_later_users_are_staff(store, shop):
    assert role_of(store, _session(shop, "101"), local=False) == "owner"
    assert role_of(store, _session(shop, "101"), local=False) == "owner"
    assert role_of(store, _session(shop, "202"), local=False) == "staff"


def test_owner_gives_roles_and_nobody_else_can(store, shop):
    role_of(store, _session(shop, "101"), local=False)
    set_role(store, shop, by_role="owner", user_id="202", role="supervisor")
    assert role_of(store, _session(shop, "202"), local=False) == "supervisor"
    with pytest.raises(NotAllowed):
        set_role(store, shop, by_role="supervisor", user_id="303", role="owner")
    with pytest.raises(InvalidInput) as err:
        set_role(store, shop, by_role="owner", user_id="303", role="boss")
    assert err.value.field == "role"


def test_local_role_tokens_work_only_in_local_mode(store, shop):
    role_of(store, _session(shop, "101"), local=False)  # someone else is the owner
    assert role_of(store, _session(shop, "local-manager"), local=True) == "manager"
    assert role_of(store, _session(shop, "local-manager"), local=False) == "staff"
