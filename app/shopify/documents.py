"""The GraphQL documents in graphql/, loaded once, with what the client needs to know about them."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

DOCUMENTS_DIR = Path(__file__).parent / "graphql"
FRAGMENTS_DIR = DOCUMENTS_DIR / "fragments"
_SPREAD = re.compile(r"\.\.\.\s*([A-Z]\w*)")


@dataclass(frozen=True)
class Document:
    """One operation: its text, name, kind and whether repeating it is safe."""

    name: str
    text: str
    operation_name: str
    is_mutation: bool
    root_fields: tuple[str, ...]
    # Every root field carries @idempotent(key:), so Shopify dedupes a repeat.
    idempotent: bool

    @property
    def safe_to_repeat(self) -> bool:
        """Reads and @idempotent mutations can be sent again after an unknown outcome."""
        return not self.is_mutation or self.idempotent


def document_paths() -> list[Path]:
    return sorted(DOCUMENTS_DIR.glob("*.graphql"))


@functools.cache
def _fragments() -> dict[str, str]:
    """Shared fragments (graphql/fragments/*.graphql) by fragment name."""
    found = {}
    for path in sorted(FRAGMENTS_DIR.glob("*.graphql")):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"^fragment\s+(\w+)\s+on\s", text, re.M):
            found[match.group(1)] = text
    return found


def with_fragments(text: str) -> str:
    """The document plus the shared fragments it spreads and does not define itself."""
    shared = _fragments()
    needed = [
        shared[name]
        for name in dict.fromkeys(_SPREAD.findall(text))
        if name in shared and not re.search(rf"^fragment\s+{name}\s", text, re.M)
    ]
    return "\n".join([text.rstrip(), *dict.fromkeys(needed)]) + "\n"


@functools.cache
def load(name: str) -> Document:
    """The document graphql/<name>.graphql with its shared fragments; FileNotFoundError if unknown."""
    # Imported here: graphql-core costs a cold start ~40 ms, and only Admin API calls need it.
    from graphql import FieldNode, OperationDefinitionNode, OperationType, parse

    path = DOCUMENTS_DIR / f"{name}.graphql"
    text = with_fragments(path.read_text(encoding="utf-8"))
    operations = [d for d in parse(text).definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].name is None:
        raise ValueError(f"{path.name} must hold exactly one named operation")
    operation = operations[0]
    fields = [s for s in operation.selection_set.selections if isinstance(s, FieldNode)]
    return Document(
        name=name,
        text=text,
        operation_name=operation.name.value,
        is_mutation=operation.operation == OperationType.MUTATION,
        root_fields=tuple(f.name.value for f in fields),
        idempotent=bool(fields)
        and all(any(d.name.value == "idempotent" for d in f.directives) for f in fields),
    )
