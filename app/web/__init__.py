"""Flask entry points: the app factory and one blueprint per surface."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

from app.config import Settings
from app.container import Container, build_container
from app.errors import Conflict, InvalidInput, NotAllowed, NotFound, UpstreamError

APP_DIR = Path(__file__).resolve().parents[1]


class LazyBuilderRule(Rule):
    """A URL rule whose URL builders are compiled when `url_for` first needs them.

    Werkzeug compiles two builder functions per rule as each rule is added: most of the
    time Flask spends registering the app's routes on a cold start, though matching a
    request never uses them and `url_for` names only a few endpoints.
    """

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compile_builder = super()._compile_builder
        attribute = "_build_unknown" if append_unknown else "_build"

        def build(rule: Rule, **values: Any) -> tuple[str, str]:
            compiled = compile_builder(append_unknown).__get__(rule, None)
            setattr(rule, attribute, compiled)  # the next build calls it directly
            return compiled(**values)

        return build


def create_app(settings: Settings | None = None, container: Container | None = None) -> Flask:
    """Build the Flask app; with no arguments, settings come from the environment."""
    if container is None:
        container = build_container(settings or Settings.from_env())
    settings = container.settings
    app = Flask(
        __name__, template_folder=str(APP_DIR / "templates"), static_folder=str(APP_DIR / "static")
    )
    app.url_rule_class = LazyBuilderRule
    app.config.update(
        SECRET_KEY=settings.secret_key,
        # Werkzeug refuses larger bodies with 413 before they are read.
        MAX_CONTENT_LENGTH=settings.max_webhook_bytes,
        JSON_SORT_KEYS=False,
    )
    app.extensions["hemline"] = container

    from app.web import (
        admin,
        admin_analytics,
        admin_backorders,
        admin_policy,
        admin_settings,
        api,
        api_metrics,
        auth,
        health,
        oneclick,
        portal,
        webhooks,
    )

    app.register_blueprint(health.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(admin_settings.bp)
    app.register_blueprint(admin_policy.bp)
    app.register_blueprint(admin_analytics.bp)
    app.register_blueprint(admin_backorders.bp)
    app.register_blueprint(portal.bp)
    app.register_blueprint(oneclick.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(api_metrics.bp)
    if settings.is_local:
        from app.web import dev

        app.register_blueprint(dev.bp)
    _register_errors(app)
    return app


def container_of(app: Flask) -> Container:
    return app.extensions["hemline"]


def _register_errors(app: Flask) -> None:
    """Map the error taxonomy to HTTP at the edge, as JSON with the field named."""

    def body(status: int, error: str, message: str, **extra: Any) -> tuple[Any, int]:
        return jsonify({"error": error, "message": message, **extra}), status

    @app.errorhandler(InvalidInput)
    def _invalid(exc: InvalidInput) -> tuple[Any, int]:
        return body(422, "invalid_input", str(exc), field=exc.field)

    @app.errorhandler(NotFound)
    def _not_found(exc: NotFound) -> tuple[Any, int]:
        return body(404, "not_found", str(exc) or "not found")

    @app.errorhandler(NotAllowed)
    def _not_allowed(exc: NotAllowed) -> tuple[Any, int]:
        return body(403, "not_allowed", str(exc))

    @app.errorhandler(Conflict)
    def _conflict(exc: Conflict) -> tuple[Any, int]:
        return body(409, "conflict", str(exc) or "changed meanwhile; reload and try again")

    @app.errorhandler(UpstreamError)
    def _upstream(exc: UpstreamError) -> tuple[Any, int]:
        return body(
            503, "unavailable", "a service Hemline depends on is unavailable; try again shortly"
        )

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[Any, int]:
        return body(
            exc.code or 500, (exc.name or "error").lower().replace(" ", "_"), exc.description or ""
        )
