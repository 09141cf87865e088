"""Loads Shopify's Admin GraphQL schema (SDL) once per process.

The SDL is 3.4 MB and takes about two seconds to build, so the simulator and
the document tests share one cached instance.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from graphql import GraphQLSchema, build_schema

API_VERSION = "2026-04"
SCHEMA_ENV = "HEMLINE_SHOPIFY_SCHEMA"
_REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_SCHEMA_PATH = (
    _REPO_ROOT.parent / "shared" / "shopify" / "schema" / f"{API_VERSION}-admin-schema.graphql"
)


class SchemaNotFoundError(RuntimeError):
    """The Admin schema SDL file is missing: nothing can be validated or served without it."""


def schema_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The SDL path: the explicit one, else $HEMLINE_SHOPIFY_SCHEMA, else the shared copy."""
    chosen = explicit or os.environ.get(SCHEMA_ENV) or DEFAULT_SCHEMA_PATH
    return Path(chosen)


def load_schema(path: str | os.PathLike[str] | None = None) -> GraphQLSchema:
    """Build (once per path) the Admin schema; raises SchemaNotFoundError if the file is missing."""
    return _build(schema_path(path).resolve())


@functools.cache
def _build(path: Path) -> GraphQLSchema:
    if not path.is_file():
        raise SchemaNotFoundError(
            f"Shopify Admin schema not found at {path}. Set {SCHEMA_ENV} to the "
            f"{API_VERSION} SDL file (see ../shared/shopify/README.md)."
        )
    return build_schema(path.read_text(encoding="utf-8"))
