"""`make run`: the whole app locally on its embedded defaults.

Starts DynamoDB Local with its data in .local/dynamodb-data (so it survives
restarts), creates the table from infra/template.yaml, seeds the demo shop,
serves the app on 127.0.0.1:$PORT and prints what runs where. Ctrl-C stops
everything it started.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

from werkzeug.serving import make_server

from infra.local import dynamodb_local
from infra.local.seed import DEMO_SHOP, seed_demo_shop
from infra.local.tables import ensure_table

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    port = int(os.environ.get("PORT", "8000"))
    ddb_port = int(os.environ.get("DYNAMODB_LOCAL_PORT", "8200"))
    data_dir = Path(os.environ.get("HEMLINE_LOCAL_DATA", ROOT / ".local"))
    data_dir.mkdir(parents=True, exist_ok=True)

    ddb = dynamodb_local.start(
        ddb_port, db_path=data_dir / "dynamodb-data", log_path=data_dir / "dynamodb.log"
    )
    started = [ddb]
    try:
        env = dict(os.environ)
        env.setdefault("HEMLINE_ENV", "local")
        env["DYNAMODB_ENDPOINT_URL"] = ddb.endpoint
        env.setdefault("PORT", str(port))

        from app.config import Settings
        from app.errors import ConfigError

        try:
            settings = Settings.from_env(env)
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

        from app.container import build_container, dynamodb_client
        from app.web import create_app

        client = dynamodb_client(settings)
        created = ensure_table(client, settings.table_name)
        container = build_container(settings, dynamodb=client)
        seed_demo_shop(container.store)
        app = create_app(container=container)
        server = make_server("127.0.0.1", port, app, threaded=True)

        base = f"http://127.0.0.1:{port}"
        print("Hemline is running locally:", flush=True)
        print(f"  app            {base}", flush=True)
        print(f"  health         {base}/healthz", flush=True)
        print(
            f"  webhooks       POST {base}/webhooks  (signed with SHOPIFY_API_SECRET)", flush=True
        )
        print(f"  demo shop      {DEMO_SHOP}", flush=True)
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
        thread = threading.Thread(target=server.serve_forever, name="http", daemon=True)
        thread.start()
        stop.wait()
        print("\nstopping...", flush=True)
        server.shutdown()
        queue = container.queue
        if hasattr(queue, "drain"):
            queue.drain(timeout=10)
        return 0
    finally:
        for handle in reversed(started):
            handle.stop()
        print("stopped.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
