"""`make run`: the whole app locally on its embedded defaults.

Starts DynamoDB Local with its data in .local/dynamodb-data (so it survives
restarts), creates the table from infra/template.yaml, starts the dev-store
simulator with the demo shop, serves the app on 127.0.0.1:$PORT, installs the
demo shop through the real OAuth flow, imports its orders, runs the sweeps on
a timer and prints what runs where. Ctrl-C stops everything it started.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

import requests
from werkzeug.serving import make_server

from infra.local import dynamodb_local
from infra.local.access_log import RedactingRequestHandler
from infra.local.tables import ensure_table

ROOT = Path(__file__).resolve().parents[2]
DEMO_SHOP = "hemline-demo.myshopify.com"
# Where each demo shop's returns go (merchants set theirs in the admin's settings).
DEMO_RETURN_ADDRESSES = {
    "hemline-demo.myshopify.com": {
        "name": "Petite Plume Returns",
        "line1": "200 Kent Ave",
        "line2": "Unit 4",
        "city": "Brooklyn",
        "province": "NY",
        "zip": "11249",
        "country_code": "US",
    },
    "lavish-ivy-demo.myshopify.com": {
        "name": "Lavish Ivy Returns",
        "line1": "1550 W Carroll Ave",
        "city": "Chicago",
        "province": "IL",
        "zip": "60607",
        "country_code": "US",
    },
    "cn-consumer-demo.myshopify.com": {
        "name": "青禾服饰 售后部",
        "line1": "徐汇区漕溪北路 88 号",
        "city": "上海",
        "province": "SH",
        "zip": "200030",
        "country_code": "CN",
    },
}


def install_shop(app_url: str, shop: str) -> str:
    """Install a shop as a merchant would: /auth -> Shopify's grant -> /auth/callback -> admin."""
    res = requests.get(f"{app_url}/auth", params={"shop": shop}, timeout=60)
    paths = [r.url.split("?")[0][len(app_url) :] for r in res.history]
    if "/auth/callback" not in paths:
        raise RuntimeError(f"install of {shop} did not complete (HTTP {res.status_code})")
    return res.url


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    ddb_port = int(os.environ.get("DYNAMODB_LOCAL_PORT", "8200"))
    devstore_port = int(os.environ.get("DEVSTORE_PORT", "8100"))
    sweep_every = float(os.environ.get("HEMLINE_SWEEP_INTERVAL_S", "60"))
    data_dir = Path(os.environ.get("HEMLINE_LOCAL_DATA", ROOT / ".local"))
    data_dir.mkdir(parents=True, exist_ok=True)

    ddb = dynamodb_local.start(
        ddb_port, db_path=data_dir / "dynamodb-data", log_path=data_dir / "dynamodb.log"
    )
    devstore = None
    try:
        base = f"http://127.0.0.1:{port}"
        env = dict(os.environ)
        env.setdefault("HEMLINE_ENV", "local")
        env.setdefault("HEMLINE_APP_URL", base)
        env["DYNAMODB_ENDPOINT_URL"] = ddb.endpoint
        env["HEMLINE_LOCAL_DATA"] = str(data_dir)

        from app.config import Settings
        from app.errors import ConfigError

        try:
            settings = Settings.from_env(env)
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

        from infra.local.devstore import start_in_thread

        devstore = start_in_thread(
            api_key=settings.shopify_api_key,
            api_secret=settings.shopify_api_secret,
            app_url=settings.app_url,
            port=devstore_port,
            seed="demo",
        )
        env["SHOPIFY_ADMIN_ORIGIN"] = devstore.url
        settings = Settings.from_env(env)

        from app.container import build_container, dynamodb_client
        from app.services import sla, sweeps, sync
        from app.web import create_app

        client = dynamodb_client(settings)
        created = ensure_table(client, settings.table_name)
        container = build_container(settings, dynamodb=client)
        app = create_app(container=container)
        server = make_server(
            "127.0.0.1", port, app, threaded=True, request_handler=RedactingRequestHandler
        )
        threading.Thread(target=server.serve_forever, name="http", daemon=True).start()

        from dataclasses import replace

        from infra.local.devstore.seed import DEMO_SHOPS

        demo = []
        for domain, preset in DEMO_SHOPS.items():
            landing = install_shop(base, domain)
            shop = container.store.get_shop(domain)
            shop = replace(
                shop,
                policy_preset=preset,
                return_address=shop.return_address or DEMO_RETURN_ADDRESSES[domain],
                support_email=shop.support_email or f"support@{domain.split('.')[0]}.example",
            )
            container.store.put_shop(shop)
            sla.ensure_digest_scheduled(container.store, shop, container.clock.now())
            # New orders get what orders/create gives them: backorder checks, delivery promises.
            imported = sync.catch_up_orders(
                domain,
                store=container.store,
                admin=container.admin_for(domain),
                clock=container.clock,
                on_order=container.on_order,
            )
            demo.append((domain, preset, imported.orders_seen, landing))

        print("Hemline is running locally:", flush=True)
        print(f"  app (admin)    {demo[0][3]}", flush=True)
        print(f"  health         {base}/healthz", flush=True)
        print(
            f"  webhooks       POST {base}/webhooks  (signed with SHOPIFY_API_SECRET)", flush=True
        )
        print(
            f"  dev store      {devstore.url}/  (Shopify simulator: new order, fulfil, deliver, refund)",
            flush=True,
        )
        for domain, preset, seen, _ in demo:
            print(
                f"  demo shop      {domain} ({preset}), installed through OAuth; {seen} orders new or changed since the last run",
                flush=True,
            )
        print(f"  returns portal {base}/portal/{DEMO_SHOP}", flush=True)
        print(
            f"  store          {ddb.kind} at {ddb.endpoint}, table {settings.table_name}"
            f" ({'created' if created else 'kept'}; data in {data_dir / 'dynamodb-data'})",
            flush=True,
        )
        print("Press Ctrl-C to stop.", flush=True)

        stop = threading.Event()

        def _stop(signum: int, frame: object) -> None:
            stop.set()

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        while not stop.wait(sweep_every):
            container.reconcile()
            sweeps.run_proactive(
                container.proactive_context(), container.returns_context(), container.clock.now()
            )
        print("\nstopping...", flush=True)
        server.shutdown()
        container.queue.drain(timeout=10)  # type: ignore[attr-defined]
        return 0
    finally:
        if devstore is not None:
            devstore.stop()
        ddb.stop()
        print("stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
