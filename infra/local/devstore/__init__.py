"""Dev-store simulator: a local stand-in for Shopify's Admin GraphQL API, OAuth and webhooks.

    from infra.local.devstore import start_in_thread
    server = start_in_thread(api_key="k", api_secret="s", app_url="http://127.0.0.1:5000")
    ...  # server.url, server.shop_url(domain), server.simulator
    server.stop()

See docs/devstore.md for the control API and fault injection.
"""

from infra.local.devstore.server import (
    DevStoreConfig,
    DevStoreServer,
    Simulator,
    make_server,
    start_in_thread,
)

__all__ = ["DevStoreConfig", "DevStoreServer", "Simulator", "make_server", "start_in_thread"]
