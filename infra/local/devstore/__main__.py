"""`python -m infra.local.devstore`: serve the dev-store simulator in the foreground."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from infra.local.devstore.schema import SchemaNotFoundError
from infra.local.devstore.seed import DEMO_SHOP
from infra.local.devstore.server import make_server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.local.devstore", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get("HEMLINE_DEVSTORE_PORT", "8081"))
    )
    parser.add_argument(
        "--app-url", default=os.environ.get("HEMLINE_APP_URL"), help="the app's base URL"
    )
    parser.add_argument(
        "--api-key", default=os.environ.get("SHOPIFY_API_KEY"), help="the app's client id"
    )
    parser.add_argument(
        "--api-secret", default=os.environ.get("SHOPIFY_API_SECRET"), help="the app's client secret"
    )
    parser.add_argument(
        "--webhook-url", default=None, help="default webhook address (default <app-url>/webhooks)"
    )
    parser.add_argument(
        "--schema",
        default=None,
        help="Admin schema SDL (default $HEMLINE_SHOPIFY_SCHEMA or ../shared)",
    )
    parser.add_argument("--seed", choices=["demo"], default=None)
    parser.add_argument("--bucket-max", type=float, default=2000.0, help="query cost bucket size")
    parser.add_argument(
        "--restore-rate", type=float, default=100.0, help="query cost points restored per second"
    )
    args = parser.parse_args(argv)
    if not args.api_key or not args.api_secret:
        parser.error(
            "--api-key and --api-secret are required (or SHOPIFY_API_KEY / SHOPIFY_API_SECRET)"
        )
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        server = make_server(
            api_key=args.api_key,
            api_secret=args.api_secret,
            app_url=args.app_url,
            host=args.host,
            port=args.port,
            seed=args.seed,
            webhook_url=args.webhook_url,
            schema_path=args.schema,
            bucket_maximum=args.bucket_max,
            restore_rate=args.restore_rate,
        )
    except SchemaNotFoundError as exc:
        print(f"devstore: {exc}", file=sys.stderr)
        return 2
    print(
        f"devstore: serving {server.url} (page {server.url}/, control API {server.url}/_sim/)",
        flush=True,
    )
    if args.seed == "demo":
        print(f"devstore: demo shop {DEMO_SHOP} at {server.shop_url(DEMO_SHOP)}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
