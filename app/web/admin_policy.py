"""The return policy page of the embedded admin: a preset, the merchant's changes to it,
the policy in plain English and a preview on a sample order, live as the form changes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

import policies
from app.domain.shops import Shop
from app.errors import InvalidInput, NotAllowed
from app.web.admin import desk_context, field_message
from app.web.admin_auth import require_session_page, session_token_from_request

# policy_settings is imported where used: its fields and sample orders cost the app's cold
# start, and only the policy pages need them. It is imported through eligibility (which
# imports it): the two modules import each other, and entering that cycle always at the
# same end keeps two threads' first imports from ever seeing either half-initialized.
if TYPE_CHECKING:
    from app.services import policy_settings

bp = Blueprint("admin_policy", __name__, url_prefix="/admin")

SAVED = "Return policy saved. Customers see the new rules from now on."
READ_ONLY = "Only an owner or a manager can change the return policy. You are signed in as {role}."
# How the page names a field in a message that is not next to it.
OTHER_LABELS = {"preset": "Preset", "delivered_days_ago": "Sample delivery", "overrides": "Changes"}


def _default_days() -> str:
    from app.services.eligibility import policy_settings

    return str(policy_settings.DEFAULT_DELIVERED_DAYS_AGO)


@dataclass
class PolicyForm:
    """What the form says: a preset, the changes as typed (by path) and the sample's age."""

    preset: str
    values: dict[str, str]
    days: str = field(default_factory=_default_days)


@dataclass
class Outcome:
    """The form checked: problems by field, else the policy it makes and its preview."""

    errors: dict[str, str] = field(default_factory=dict)
    overrides: dict[str, policy_settings.OverrideValue] = field(default_factory=dict)
    policy: policies.Policy | None = None
    preview: policy_settings.Preview | None = None


def _saved_form(shop: Shop, days: str | None = None) -> PolicyForm:
    from app.services.eligibility import policy_settings

    return PolicyForm(
        preset=shop.policy_preset,
        values=policy_settings.form_values(shop.policy_overrides),
        days=days or str(policy_settings.DEFAULT_DELIVERED_DAYS_AGO),
    )


def _posted_form(shop: Shop) -> PolicyForm:
    """The posted form; without a preset (a read-only page sends none) the saved settings."""
    from app.services.eligibility import policy_settings

    form = request.form
    days = form.get("delivered_days_ago", "")
    if "preset" not in form:
        return _saved_form(shop, days)
    values = {f.path: form.get(f.name, "") for f in policy_settings.FIELDS if f.name in form}
    return PolicyForm(preset=form.get("preset", ""), values=values, days=days)


def _check(shop: Shop, form: PolicyForm) -> Outcome:
    """Validate the form and, when it is valid, build its policy and preview it."""
    from app.services.eligibility import policy_settings

    out = Outcome()
    offered = policy_settings.preset_values()
    try:
        preset = policy_settings.ensure_preset(form.preset)
    except InvalidInput as exc:
        out.errors["preset"] = field_message(exc)
    else:
        # Only the settings the chosen preset offers count: the others belong to other presets.
        raw = {path: text for path, text in form.values.items() if preset in offered[path]}
        out.overrides, errors = policy_settings.check_overrides(preset, raw)
        out.errors.update(errors)
    try:
        days = policy_settings.parse_delivered_days_ago(form.days)
    except InvalidInput as exc:
        out.errors["delivered_days_ago"] = field_message(exc)
        days = policy_settings.DEFAULT_DELIVERED_DAYS_AGO
    if "preset" in out.errors or any(k.startswith("overrides") for k in out.errors):
        return out
    out.policy = policy_settings.build_policy(form.preset, out.overrides)
    if not out.errors:
        now = current_app.extensions["hemline"].clock.now()
        sample = policy_settings.sample_order(shop, now, days)
        out.preview = policy_settings.preview(out.policy, sample)
    return out


def _field_id(path: str) -> str:
    return "policy-" + re.sub(r"[^a-z0-9]+", "-", path).strip("-")


def _shown(value: policy_settings.OverrideValue | None) -> str:
    if value is None:
        return "none"
    return ", ".join(value) if isinstance(value, list) else value


def _render(
    ctx: dict[str, Any],
    form: PolicyForm,
    outcome: Outcome,
    *,
    status: int = 200,
    banner: str | None = None,
    success: str | None = None,
    fragment: bool = False,
) -> Any:
    from app.services.eligibility import policy_settings

    offered = policy_settings.preset_values()
    fields = [
        {
            "id": _field_id(f.path),
            "name": f.name,
            "label": f.label,
            "help": f.help,
            "kind": f.kind,
            "unit": f.unit,
            "min": f.minimum,
            "max": f.maximum,
            "value": form.values.get(f.path, ""),
            "presets": offered[f.path],
            "offered": form.preset in offered[f.path],
            "preset_value": _shown(offered[f.path].get(form.preset)),
        }
        for f in policy_settings.FIELDS
    ]
    labels = {f["name"]: f["label"] for f in fields} | OTHER_LABELS
    presets = [policies.load_preset(name) for name in policies.preset_names()]
    return (
        render_template(
            "admin/policy.html",
            form=form,
            fields=fields,
            presets=presets,
            errors=outcome.errors,
            error_lines=[f"{labels.get(k, k)} {message}" for k, message in outcome.errors.items()],
            explanation=policies.explain(outcome.policy) if outcome.policy else None,
            preview=outcome.preview,
            can_edit=policy_settings.can_edit_policy(ctx["role"]),
            banner=banner,
            success=success,
            fragment=fragment,
            money=lambda amount: f"{amount:.2f}",
            **ctx,
        ),
        status,
    )


@bp.get("/policy")
@require_session_page
def policy_page() -> Any:
    ctx = desk_context()
    form = _saved_form(ctx["shop"], request.args.get("delivered_days_ago"))
    saved = SAVED if request.args.get("saved") == "1" else None
    outcome = _check(ctx["shop"], form)
    return _render(ctx, form, outcome, status=422 if outcome.errors else 200, success=saved)


@bp.post("/policy")
@require_session_page
def save_policy() -> Any:
    """Save the preset and the changes (owners and managers), then show them with a banner."""
    from app.services.eligibility import policy_settings

    ctx = desk_context()
    if not policy_settings.can_edit_policy(ctx["role"]):
        saved = _saved_form(ctx["shop"])
        banner = READ_ONLY.format(role=ctx["role"])
        return _render(ctx, saved, _check(ctx["shop"], saved), status=403, banner=banner)
    form = _posted_form(ctx["shop"])
    outcome = _check(ctx["shop"], form)
    if outcome.errors:
        return _render(ctx, form, outcome, status=422)
    try:
        policy_settings.save_policy(
            current_app.extensions["hemline"].store,
            ctx["shop"],
            form.preset,
            outcome.overrides,
            by_role=ctx["role"],
        )
    except NotAllowed:  # pragma: no cover - the role was checked above
        return _render(ctx, form, outcome, status=403, banner=READ_ONLY.format(role=ctx["role"]))
    return redirect(
        url_for(
            "admin_policy.policy_page",
            saved=1,
            delivered_days_ago=form.days or None,
            shop=g.shop,
            id_token=session_token_from_request(),
        ),
        code=303,
    )


@bp.post("/policy/preview")
@require_session_page
def preview_policy() -> Any:
    """The page (or with ?fragment=1 only its preview and explanation) for the posted form,
    without saving anything."""
    ctx = desk_context()
    form = _posted_form(ctx["shop"])
    outcome = _check(ctx["shop"], form)
    return _render(
        ctx,
        form,
        outcome,
        status=422 if outcome.errors else 200,
        fragment=request.args.get("fragment") == "1",
    )
