"""Standing rules of the codebase, checked on every run: layering and infrastructure lint."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PURE_PACKAGES = ["app/domain", "policies"]
FORBIDDEN_IN_PURE = {"flask", "boto3", "botocore", "shopify", "werkzeug", "requests", "moto"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", PURE_PACKAGES)
def test_pure_layers_import_no_io_frameworks(package):
    offenders = {
        str(p.relative_to(ROOT)): sorted(_imports(p) & FORBIDDEN_IN_PURE)
        for p in (ROOT / package).rglob("*.py")
        if _imports(p) & FORBIDDEN_IN_PURE
    }
    assert offenders == {}


def test_product_code_never_imports_moto():
    offenders = [
        str(p.relative_to(ROOT))
        for folder in ("app", "handlers", "policies")
        for p in (ROOT / folder).rglob("*.py")
        if "moto" in _imports(p)
    ]
    assert offenders == []


def test_cloudformation_template_passes_cfn_lint():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(ROOT / "infra" / "template.yaml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
