"""The GraphQL the fan-out sends: the client contract's own documents (verbatim, checked against
``../shared/clients/`` by a test) and the two set-up reads over plain HTTP."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

SIGN_IN = """mutation SignIn($input: SignInInput!) {
  # input: email, password. Works for drivers and operators; the token carries the role.
  signIn(input: $input) {
    tokens { accessToken refreshToken expiresAt }
    errors { code field message }
  }
}"""

STATION_EVENTS = """subscription StationEvents($siteId: ID) {
  stationEvents(siteId: $siteId) {
    __typename
    ... on ConnectorStatusChanged { stationId connectorId status errorCode at }
    ... on StationConnectivityChanged { stationId online at }
    ... on StationTelemetryUpdated { stationId connectorId temperatureC voltageV currentA powerKw at }
  }
}"""

SESSION_PROGRESS = """subscription SessionProgress($sessionId: ID!) {
  sessionProgress(sessionId: $sessionId) {
    id
    status
    energyKwh
    powerKw
    durationSeconds
    idleSeconds
    cost { amount currency }
    updatedAt
  }
}"""

# Not a contract operation: the bench's own set-up read (which session charges on which connector).
ACTIVE_SESSIONS = """query BenchActiveSessions($after: String) {
  sessions(active: true, first: 200, after: $after) {
    edges { node { id connectorId station { name } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


class GraphQLError(RuntimeError):
    pass


def post(url: str, query: str, variables: dict[str, Any], token: str | None = None) -> Any:
    """One GraphQL operation over HTTP; its ``data`` (errors raise ``GraphQLError``)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    if answer.get("errors"):
        raise GraphQLError(json.dumps(answer["errors"]))
    return answer["data"]


def sign_in(url: str, email: str, password: str) -> str:
    """An access token for the account (``signIn``, as the apps send it)."""
    payload = post(url, SIGN_IN, {"input": {"email": email, "password": password}})["signIn"]
    if payload["errors"] or not payload["tokens"]:
        raise GraphQLError(f"signIn {email}: {payload['errors']}")
    return str(payload["tokens"]["accessToken"])


def active_sessions(url: str, token: str) -> dict[str, tuple[str, int]]:
    """The organisation's active sessions: session id -> (chargePointId, connector). The bench
    names every station after its chargePointId."""
    found: dict[str, tuple[str, int]] = {}
    after: str | None = None
    while True:
        page = post(url, ACTIVE_SESSIONS, {"after": after}, token)["sessions"]
        for edge in page["edges"]:
            node = edge["node"]
            found[node["id"]] = (node["station"]["name"], int(node["connectorId"]))
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]
