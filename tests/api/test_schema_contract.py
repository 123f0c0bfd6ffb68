"""schema.graphql is the code's schema, and every client operation in the contract validates.

The project's copy of the contract is ``clients/``; it must equal ``../shared/clients`` where that
exists. Operations whose issue is still open are listed in ``tests.contract.PENDING``. A pending
operation must still fail validation: once it validates, this test fails until it leaves the list.
"""

from __future__ import annotations

import pytest
from graphql import (
    DocumentNode,
    OperationDefinitionNode,
    build_schema,
    parse,
    validate,
)

from api.schema_export import export_schema
from tests.contract import CLIENTS, PENDING, REPO, SHARED_CLIENTS, client_files

SCHEMA_FILE = REPO / "schema.graphql"


def _operations() -> list[tuple[str, str, DocumentNode]]:
    out = []
    for path in client_files():
        document = parse(path.read_text())
        for definition in document.definitions:
            assert isinstance(definition, OperationDefinitionNode) and definition.name
            single = DocumentNode(definitions=(definition,))
            out.append((path.name, definition.name.value, single))
    return out


OPERATIONS = _operations()


def test_the_projects_copy_equals_the_shared_contract() -> None:
    if not SHARED_CLIENTS.is_dir():
        pytest.skip(
            f"{SHARED_CLIENTS} is not beside this clone: the project's copy is the contract"
        )
    ours = {p.name: p.read_bytes() for p in CLIENTS.iterdir() if p.is_file()}
    theirs = {p.name: p.read_bytes() for p in SHARED_CLIENTS.iterdir() if p.is_file()}
    assert sorted(ours) == sorted(theirs), "clients/ and ../shared/clients hold different files"
    differ = sorted(name for name in ours if ours[name] != theirs[name])
    assert differ == [], f"clients/ differs from ../shared/clients in {differ}: copy them over"


def test_committed_schema_matches_the_code() -> None:
    assert SCHEMA_FILE.read_text() == export_schema(), (
        "schema.graphql drifted from the code: regenerate it with "
        "`python -c 'from api.schema_export import export_schema; "
        'open("schema.graphql", "w").write(export_schema())\'` and commit it'
    )


def test_pending_names_are_real_operations() -> None:
    names = [name for _, name, _ in OPERATIONS]
    assert len(names) == len(set(names)), "operation names must be unique across the contract"
    assert set(PENDING) <= set(names), f"not in the contract: {set(PENDING) - set(names)}"


@pytest.mark.parametrize(
    ("file", "name", "document"), OPERATIONS, ids=[f"{f}:{n}" for f, n, _ in OPERATIONS]
)
def test_client_operation_validates(file: str, name: str, document: DocumentNode) -> None:
    schema = build_schema(SCHEMA_FILE.read_text())
    errors = validate(schema, document)
    if name in PENDING:
        assert errors, f"{name} validates now: remove it from PENDING ({PENDING[name]})"
    else:
        assert not errors, f"{file} {name}: " + "; ".join(e.message for e in errors)
