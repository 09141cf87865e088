"""Who a signed-in staff member is to Hemline: their role for approvals.

Shopify's session token names the user (`sub`) but not their role. Roles are
Hemline's own (owner, manager, supervisor, agent, staff), set by an owner in
settings; the first user who opens Hemline in a shop (the merchant who just
installed it) becomes its owner. Local development tokens carry the role in
their user id (`local-<role>`), and only in local mode.
"""

from __future__ import annotations

from app.adapters.dynamo.store import DynamoStore
from app.domain.rma import ROLE_RANK
from app.errors import InvalidInput, NotAllowed
from app.session_tokens import SessionToken

ROLES = tuple(sorted(ROLE_RANK, key=ROLE_RANK.__getitem__))
MAX_USER_ID_CHARS = 64


def role_of(store: DynamoStore, session: SessionToken, *, local: bool) -> str:
    """The staff member's role in the session's shop ("staff" when none was given)."""
    user = session.user_id or ""
    if local and user.startswith("local-") and user[len("local-") :] in ROLE_RANK:
        return user[len("local-") :]
    role = store.get_staff_role(session.shop, user) if user else None
    if role is None and user and store.claim_first_owner(session.shop, user):
        return "owner"
    return role or "staff"


def set_role(store: DynamoStore, shop: str, *, by_role: str, user_id: str, role: str) -> None:
    """An owner gives a staff member a role; raises InvalidInput naming the field."""
    if by_role != "owner":
        raise NotAllowed("only an owner can change roles")
    if role not in ROLE_RANK:
        raise InvalidInput(f"must be one of {', '.join(ROLES)}", "role")
    if not user_id.strip():
        raise InvalidInput("is required", "user_id")
    if len(user_id.strip()) > MAX_USER_ID_CHARS:  # Shopify user ids are numbers, far shorter
        raise InvalidInput(f"must be at most {MAX_USER_ID_CHARS} characters", "user_id")
    store.put_staff_role(shop, user_id.strip(), role)
