"""With introspection off, error messages do not read the schema out ("Did you mean …")."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api, start_api

TYPOS: list[tuple[str, dict[str, Any]]] = [
    ("query { sitez { id } }", {}),  # a field
    ("query { sites { idd } }", {}),  # a field of a type
    ("query { stations(firts: 1) { edges { cursor } } }", {}),  # an argument
    (
        "mutation($i: SignUpInput!) { signUp(input: $i) { errors { code } } }",
        {"i": {"email": "a@example.com", "password": "long-enough-pw", "nmae": "x"}},
    ),  # an input field, through variables (found while executing)
    ("query($r: DateRangeInpt!) { sites { id } }", {"r": {}}),  # a type
]


async def _messages(api: Api) -> list[str]:
    messages = []
    for query, variables in TYPOS:
        response = await api.http.post("/graphql", json={"query": query, "variables": variables})
        errors = response.json()["errors"]
        messages += [error["message"] for error in errors]
    return messages


async def test_no_suggestions_while_introspection_is_off(api: Api) -> None:
    messages = await _messages(api)
    assert len(messages) >= len(TYPOS)
    assert not [m for m in messages if "Did you mean" in m], messages
    assert "Cannot query field 'sitez' on type 'Query'." in messages


async def test_suggestions_when_introspection_is_on(database: object) -> None:
    async with start_api(introspection=True) as api:
        messages = await _messages(api)
    assert "Cannot query field 'sitez' on type 'Query'. Did you mean 'sites'?" in messages
    assert len([m for m in messages if "Did you mean" in m]) >= 4, messages
