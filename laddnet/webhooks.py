"""The HTTP side of alert webhooks: a POST with the standard library, off the event loop.

Signing, retries and backoff are domain rules (``domain.diagnostics.webhook``); this only carries
the bytes.
"""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from collections.abc import Mapping


class UrllibWebhookTransport:
    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        return await asyncio.to_thread(self._post, url, body, dict(headers))

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return int(response.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)  # an answer: the domain decides whether it is worth a retry
        except urllib.error.URLError as exc:
            raise OSError(str(exc.reason)) from exc
