"""Benchmark of the Lambda archive: its size, and how long a cold start spends importing.

`python bench/bench_package.py [--quick] [--runs N]` brings dist/hemline-prod.zip up to date
(`make package`), unpacks it, and builds a folder standing in for Lambda's runtime (boto3,
botocore, s3transfer and their dependencies, copied from this virtualenv). In fresh
interpreters (`python -s -S`, PYTHONPATH = archive, then runtime, as on Lambda) it times,
alternating so that both share the machine's noise:

- the cold start: `import handler` with INSTANTIATE_LAMBDA_HANDLER_ON_IMPORT, as
  zappa_settings.json sets it, i.e. Zappa's handler, the Flask app and its container built
  from local settings (no AWS call: DynamoDB's endpoint is never contacted);
- the floor: `import flask, boto3` in the same kind of interpreter;
- Zappa's handler module alone, for reference.

It prints the medians, the cold start's peak RSS and its slowest imports (-X importtime),
then one JSON object as its last line: `archive_mb` (zipped, 10^6 bytes) and
`cold_import_ratio` (cold start / floor) against their budgets, 30 MB and 1.5.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = ROOT / "dist" / "hemline-prod.zip"
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six", "urllib3")
ARCHIVE_BUDGET_MB = 30.0
RATIO_BUDGET = 1.5

TIMED = """
import resource, sys, time
started = time.perf_counter()
{statement}
elapsed = time.perf_counter() - started
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
sys.__stderr__.write(f"BENCH {{elapsed}} {{rss_mb}}\\n")
"""
COLD_START = "import handler"
FLOOR = "import flask, boto3"


def runtime_folder(into: Path) -> Path:
    """The packages Lambda's python3.11 runtime provides, copied from this virtualenv."""
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin, name
        origin = Path(spec.origin)
        if origin.name == "__init__.py":
            shutil.copytree(
                origin.parent, into / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(origin, into / origin.name)
    return into


def environment(task: Path, runtime: Path, data: Path, instantiate: bool) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.pathsep.join([str(task), str(runtime)]),
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_EC2_METADATA_DISABLED": "true",
        "HEMLINE_ENV": "local",
        "HEMLINE_LOCAL_DATA": str(data),
        "DYNAMODB_ENDPOINT_URL": "http://127.0.0.1:9",
        "HEMLINE_QUEUE_URL": "http://127.0.0.1:9/123456789012/hemline-prod-webhooks",
        "SQS_ENDPOINT_URL": "http://127.0.0.1:9",
    }
    if instantiate:
        env["INSTANTIATE_LAMBDA_HANDLER_ON_IMPORT"] = "true"
    return env


def timed(statement: str, task: Path, env: dict[str, str], *flags: str) -> tuple[float, float, str]:
    """Seconds and peak RSS (MB) of `statement` in a fresh interpreter; and its stderr."""
    result = subprocess.run(
        [sys.executable, "-s", "-S", *flags, "-c", TIMED.format(statement=statement)],
        cwd=task,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    line = next((x for x in result.stderr.splitlines() if x.startswith("BENCH ")), None)
    if result.returncode != 0 or line is None:
        sys.exit(f"{statement!r} failed in the archive's interpreter:\n{result.stderr[-3000:]}")
    _, seconds, rss = line.split()
    return float(seconds), float(rss), result.stderr


def slowest_imports(stderr: str, top: int = 12, depth: int = 2) -> list[tuple[str, float]]:
    """The imports at most `depth` levels deep by cumulative ms, from -X importtime's report."""
    rows = []
    for line in stderr.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2][1:]  # one space after the bar, then two per level of nesting
        if (len(name) - len(name.lstrip())) // 2 <= depth:
            rows.append((name.strip(), int(parts[1]) / 1000))
    return sorted(rows, key=lambda row: -row[1])[:top]


def run(runs: int) -> dict[str, Any]:
    subprocess.run(["make", "--no-print-directory", "package"], cwd=ROOT, check=True)
    archive_mb = ARCHIVE.stat().st_size / 1e6
    with tempfile.TemporaryDirectory(prefix="hemline-bench-package-") as tmp:
        task, data = Path(tmp, "task"), Path(tmp, "data")
        with zipfile.ZipFile(ARCHIVE) as zf:
            zf.extractall(task)
            unpacked_mb = sum(i.file_size for i in zf.infolist()) / 1e6
        runtime = runtime_folder(Path(tmp, "runtime"))
        cold_env = environment(task, runtime, data, instantiate=True)
        bare_env = environment(task, runtime, data, instantiate=False)

        timed(COLD_START, task, cold_env)  # one warm-up: the page cache, not the interpreter
        cold, floor, module, rss = [], [], [], []
        for _ in range(runs):
            seconds, peak, _ = timed(COLD_START, task, cold_env)
            cold.append(seconds)
            rss.append(peak)
            floor.append(timed(FLOOR, task, bare_env)[0])
            module.append(timed(COLD_START, task, bare_env)[0])
        profile = slowest_imports(timed(COLD_START, task, cold_env, "-X", "importtime")[2])

    cold_ms = statistics.median(cold) * 1000
    floor_ms = statistics.median(floor) * 1000
    return {
        "archive_mb": round(archive_mb, 2),
        "unpacked_mb": round(unpacked_mb, 1),
        "cold_import_ms": round(cold_ms, 1),
        "floor_import_ms": round(floor_ms, 1),
        "handler_module_ms": round(statistics.median(module) * 1000, 1),
        "cold_import_ratio": round(cold_ms / floor_ms, 2),
        "cold_start_peak_rss_mb": round(max(rss), 1),
        "runs": runs,
        "budget_archive_mb": ARCHIVE_BUDGET_MB,
        "budget_cold_import_ratio": RATIO_BUDGET,
        "slowest_imports_ms": {name: round(ms, 1) for name, ms in profile},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 runs instead of 9")
    parser.add_argument("--runs", type=int)
    args = parser.parse_args(argv)
    figures = run(args.runs or (3 if args.quick else 9))

    def verdict(value: float, budget: float) -> str:
        return "within" if value <= budget else "OVER"

    print(
        f"archive: {figures['archive_mb']} MB zipped, {figures['unpacked_mb']} MB unpacked"
        f" ({verdict(figures['archive_mb'], ARCHIVE_BUDGET_MB)} the {ARCHIVE_BUDGET_MB} MB budget)"
    )
    print(
        f"cold start (import handler, app built): {figures['cold_import_ms']} ms;"
        f" import flask, boto3: {figures['floor_import_ms']} ms;"
        f" ratio {figures['cold_import_ratio']}"
        f" ({verdict(figures['cold_import_ratio'], RATIO_BUDGET)} the {RATIO_BUDGET} budget)"
    )
    print(
        f"Zappa's handler module alone: {figures['handler_module_ms']} ms;"
        f" cold start peak RSS {figures['cold_start_peak_rss_mb']} MB"
        f" (median of {figures['runs']} fresh interpreters)"
    )
    print("slowest imports of the cold start (cumulative ms):")
    for name, ms in figures["slowest_imports_ms"].items():
        print(f"  {ms:8.1f}  {name}")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
