"""Browser journeys: Debian's headless Chromium, driven by Playwright, against the served stack.

No browser is downloaded: Playwright drives /usr/bin/chromium (`make test-deps`
installs it). Each test gets a fresh profile folder and a phone-sized window.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from app.web import create_app, portal
from infra.local.dynamodb_local import free_port
from tests.integration.stack.conftest import stack  # noqa: F401  (the served stack, per module)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def portal_url(stack) -> Iterator[str]:  # noqa: F811
    """Where the portal is served: the stack's app once create_app registers the portal,
    until then a second server of the same container with the blueprint added."""
    app = create_app(container=stack.container)
    if "portal" in app.blueprints:
        yield stack.app_url
        return
    app.register_blueprint(portal.bp)
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail("Chromium is not installed at /usr/bin/chromium: run `make test-deps`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def open_page(playwright: Any, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """A phone-sized page in a browser with a profile of its own; `locale` sets Accept-Language.

    Like Chrome on a phone, the browser downloads a PDF it is sent to instead of
    showing it in the desktop PDF viewer, so a test can take the download.
    """
    contexts = []

    def _open(locale: str = "en-US") -> Any:
        profile = tmp_path / f"profile-{len(contexts)}"
        (profile / "Default").mkdir(parents=True)
        (profile / "Default" / "Preferences").write_text(
            json.dumps({"plugins": {"always_open_pdf_externally": True}}), encoding="utf-8"
        )
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=PHONE,
            locale=locale,
            is_mobile=True,
            has_touch=True,
            accept_downloads=True,
        )
        contexts.append(context)
        return context.pages[0] if context.pages else context.new_page()

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """Save the whole page as artifacts/screenshots/portal-<step>.png (git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _shot(page: Any, step: str) -> Path:
        path = SCREENSHOTS / f"portal-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot
