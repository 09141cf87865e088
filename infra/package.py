"""`make package`: the Lambda archive, built by `zappa package` and finished with bytecode.

Run with the deploy virtualenv's interpreter (.venv-deploy/bin/python infra/package.py prod).
Zappa zips the virtualenv it runs in plus the project, minus the `exclude`/`exclude_glob`
lists of zappa_settings.json, and writes its handler (handler.py, zappa_settings.py) at the
root. Lambda's /var/task is read-only, so Python can never cache bytecode there: every cold
start would compile every module it imports. So the archive is unpacked, the modules our
code can import are compiled to unchecked-hash pycs (see `compile_tree`) and it is zipped
again. The settings exclude every pyc of the working tree, so none of it ships. No AWS call
is made: `zappa package` loads no credentials, and dummy ones keep boto3 from looking.
See docs/deploy.md.
"""

from __future__ import annotations

import argparse
import json
import os
import py_compile
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "zappa_settings.json"

# Must never reach Lambda: test and dev tools, and what the runtime already provides.
FORBIDDEN_TOP_LEVEL = (
    "boto3",
    "botocore",
    "s3transfer",
    "moto",
    "pytest",
    "_pytest",
    "hypothesis",
    "playwright",
    "ruff",
    "cfnlint",
    "cfn_lint",
    "troposphere",
    "pip",
    "setuptools",
    "tests",
    "bench",
    "infra",
    "docs",
)


def stage_settings(stage: str) -> dict[str, object]:
    """The stage's settings with its `extends` chain applied, as Zappa reads them."""
    all_settings = json.loads(SETTINGS.read_text())
    settings = dict(all_settings[stage])
    parent = settings.get("extends")
    if isinstance(parent, str):
        return {**stage_settings(parent), **settings}
    return settings


def ensure_runtime_matches(stage: str) -> None:
    """The pycs and binary wheels are this interpreter's: it must be the Lambda runtime's."""
    runtime = stage_settings(stage)["runtime"]
    here = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if runtime != here:
        sys.exit(f"zappa_settings.json runtime is {runtime}, but this build runs {here}")
    if sys.platform != "linux" or os.uname().machine != "x86_64":
        sys.exit("build on Linux x86_64: the virtualenv's binary wheels go to Lambda as they are")


def zappa_package(stage: str, output: Path) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "PYTHON")) and key != "VIRTUAL_ENV"
    }
    venv = Path(sys.prefix)
    if sys.prefix == sys.base_prefix or not (venv / "bin" / "zappa").exists():
        sys.exit("run this with the deploy virtualenv's Python (make package builds it)")
    env.update(
        VIRTUAL_ENV=str(venv),  # Zappa zips the virtualenv named here
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        AWS_ACCESS_KEY_ID="packaging-only",
        AWS_SECRET_ACCESS_KEY="packaging-only",  # noqa: S106 - a dummy, never sent anywhere
        AWS_DEFAULT_REGION=str(stage_settings(stage).get("aws_region", "us-east-1")),
        AWS_EC2_METADATA_DISABLED="true",
    )
    subprocess.run(  # noqa: S603 - fixed argv
        [str(venv / "bin" / "zappa"), "package", stage, "--output", str(output)],
        cwd=ROOT,
        env=env,
        check=True,
    )


OWN_PACKAGES = ("app", "handlers", "policies")
# Lambda's Python runtime brings these; the archive leaves them out (zappa_settings.json).
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")

# Run in a fresh interpreter whose path is the unpacked archive, then the deploy virtualenv
# standing in for the Lambda runtime's boto3: import every module of ours and every module
# our code names in an import statement (lazy ones too), and print the files they came from.
_CLOSURE_SCRIPT = r"""
import ast, importlib, json, os, sys
tree, own = sys.argv[1], sys.argv[2].split(",")
skip = {"app.wsgi"}  # builds the app at import; app.web, which it imports, is covered
names = {"handler", "zappa_settings"}
for package in own:
    for root, _, files in os.walk(os.path.join(tree, package)):
        for name in files:
            if not name.endswith(".py"):
                continue
            path = os.path.join(root, name)
            module = os.path.relpath(path, tree)[:-3].replace(os.sep, ".")
            names.add(module.removesuffix(".__init__"))
            with open(path, encoding="utf-8") as source:
                for node in ast.walk(ast.parse(source.read())):
                    if isinstance(node, ast.Import):
                        names.update(alias.name for alias in node.names)
                    elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                        names.add(node.module)
                        # `from package import name` may name a submodule
                        names.update(f"{node.module}.{alias.name}" for alias in node.names)
for name in sorted(names - skip):
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:  # a missing dependency, not a name that is no module
            raise
files = sorted({m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)})
print(json.dumps(files))
"""


def import_closure(tree: Path) -> set[Path]:
    """The archive's modules that our code can import; fails if one comes from outside it."""
    site_packages = Path(
        sys.prefix,
        "lib",
        f"python{sys.version_info.major}.{sys.version_info.minor}",
        "site-packages",
    )
    with tempfile.TemporaryDirectory(prefix="hemline-closure-") as scratch:
        result = subprocess.run(  # noqa: S603 - fixed argv
            [
                sys.executable,
                "-I",
                "-S",
                "-c",
                f"import sys; sys.path[:0] = {[str(tree), str(site_packages)]!r}\n"
                + _CLOSURE_SCRIPT,
                str(tree),
                ",".join(OWN_PACKAGES),
            ],
            cwd=scratch,
            env={
                "PATH": os.environ.get("PATH", ""),
                "HEMLINE_ENV": "local",
                "HEMLINE_LOCAL_DATA": scratch,
                "AWS_REGION": "us-east-1",
            },
            capture_output=True,
            text=True,
        )
    if result.returncode != 0:
        sys.exit(f"importing the archive's modules failed:\n{result.stderr}")
    files = [Path(f) for f in json.loads(result.stdout.splitlines()[-1])]
    leaked = sorted(
        {
            f.relative_to(site_packages).parts[0]
            for f in files
            if f.is_relative_to(site_packages)
            and f.relative_to(site_packages).parts[0] not in RUNTIME_PROVIDED
        }
    )
    if leaked:
        sys.exit(f"the archive lacks modules its code imports: {', '.join(leaked)}")
    return {f for f in files if f.is_relative_to(tree) and f.suffix == ".py"}


def compile_tree(tree: Path) -> int:
    """Unchecked-hash pycs for our code and every module it can import; returns how many.

    Valid whatever the files' times (the archive never changes once built), so a cold start
    loads bytecode and compiles nothing. Modules nothing of ours imports (another country's
    holiday calendar, a PIL image plugin) stay source only: bytecode for all would push the
    archive past its size budget, and such a module compiles once per container if ever used.
    """
    own = {p for package in OWN_PACKAGES for p in (tree / package).rglob("*.py")}
    own |= {tree / "handler.py", tree / "zappa_settings.py"}
    modules = sorted(own | import_closure(tree))
    for path in modules:
        py_compile.compile(
            str(path),
            doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )
    return len(modules)


def write_zip(tree: Path, output: Path) -> None:
    """Zip the tree in a stable order with Zappa's modes (0755, as Lambda needs to read them)."""
    partial = output.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for path in sorted(p for p in tree.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(
                path.relative_to(tree).as_posix(), date_time=(2020, 1, 1, 0, 0, 0)
            )
            info.create_system = 3
            info.external_attr = 0o755 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    os.replace(partial, output)  # never leave a half-written archive for make to trust


def check_contents(output: Path) -> None:
    with zipfile.ZipFile(output) as archive:
        tops = {name.split("/", 1)[0] for name in archive.namelist()}
        names = set(archive.namelist())
    leaked = sorted(t for t in tops if t.split("-", 1)[0].lower() in FORBIDDEN_TOP_LEVEL)
    if leaked:
        sys.exit(f"the archive must not contain {', '.join(leaked)}")
    for needed in ("handler.py", "zappa_settings.py", "app/wsgi.py", "handlers/queue.py"):
        if needed not in names:
            sys.exit(f"the archive lacks {needed}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stage", nargs="?", default="prod")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    output = (args.output or ROOT / "dist" / f"hemline-{args.stage}.zip").resolve()
    output.parent.mkdir(parents=True, exist_ok=True)

    ensure_runtime_matches(args.stage)
    with tempfile.TemporaryDirectory(prefix="hemline-package-") as tmp:
        raw = Path(tmp) / "zappa.zip"
        zappa_package(args.stage, raw)
        tree = Path(tmp) / "tree"
        with zipfile.ZipFile(raw) as archive:
            archive.extractall(tree)
        compiled = compile_tree(tree)
        write_zip(tree, output)
    check_contents(output)
    size = output.stat().st_size / 1e6
    print(f"{output.relative_to(ROOT)}: {size:.1f} MB, {compiled} modules precompiled")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
