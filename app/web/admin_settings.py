"""The merchant's Settings page in the embedded admin: return address, labels, emails, credit."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from app.errors import NotAllowed, UpstreamError
from app.web.admin import desk_context
from app.web.admin_auth import require_session_page, session_token_from_request

bp = Blueprint("admin_settings", __name__, url_prefix="/admin")


def _typed() -> dict[str, str]:
    """What was typed, to put back in the form: never the API key, which is not sent back."""
    from app.services import settings as shop_settings

    return {f: request.form.get(f, "") for f in shop_settings.FIELDS if f != "label_api_key"}


def _render(
    ctx: dict[str, Any] | None = None,
    *,
    status: int = 200,
    banner: str | None = None,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Any:
    from app.services import settings as shop_settings

    ctx = ctx or desk_context()
    shop = ctx["shop"]
    return (
        render_template(
            "admin/settings.html",
            form=form if form is not None else shop_settings.settings_form(shop),
            errors=errors or {},
            banner=banner,
            saved=request.method == "GET" and request.args.get("saved") == "1",
            can_edit=shop_settings.can_edit_settings(ctx["role"]),
            has_key=shop_settings.has_label_key(shop),
            providers=shop_settings.PROVIDER_NAMES,
            keyed_providers=shop_settings.KEYED_PROVIDERS,
            **ctx,
        ),
        status,
    )


@bp.get("/settings")
@require_session_page
def show_settings() -> Any:
    return _render()


@bp.post("/settings")
@require_session_page
def save_settings() -> Any:
    """Save the whole form (owners and managers); 422 with each problem next to its field."""
    from app.services import settings as shop_settings

    c = current_app.extensions["hemline"]
    ctx = desk_context()
    try:
        shop_settings.update_settings(
            c.store, c.cipher, ctx["shop"], request.form, by_role=ctx["role"]
        )
    except NotAllowed:
        return _render(
            ctx,
            status=403,
            banner=f"Only an owner or a manager can change settings. "
            f"You are signed in as {ctx['role']}.",
        )
    except shop_settings.InvalidSettings as exc:
        return _render(ctx, status=422, errors=exc.errors, form=_typed())
    except UpstreamError:
        return _render(
            ctx,
            status=503,
            banner="A service Hemline depends on is unavailable. Nothing was saved; try again "
            "shortly.",
            form=_typed(),
        )
    return redirect(
        url_for(
            "admin_settings.show_settings",
            saved=1,
            shop=g.shop,
            id_token=session_token_from_request(),
        ),
        code=303,
    )
