"""POST /webhooks/stripe: the payment provider's events. The signature is checked on the raw body;
an unsigned, forged or stale request is a 400 and stores nothing. A replay is acknowledged (200)
and handled once. Unexpected failures are a 500, so the provider sends the event again."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse

from api.deps import ApiDependencies
from domain.billing.errors import InvalidWebhook

log = logging.getLogger("api")

MAX_BODY = 1 << 20  # Stripe events are far smaller


def stripe_webhook(deps: ApiDependencies):  # type: ignore[no-untyped-def]
    async def endpoint(request: Request) -> JSONResponse:
        billing = deps.billing
        if billing is None:
            return JSONResponse({"error": "payments are not configured"}, status_code=503)
        payload = await request.body()
        if len(payload) > MAX_BODY:
            return JSONResponse({"error": "the body is too large"}, status_code=413)
        try:
            outcome = await billing.handle_webhook(payload, request.headers.get("stripe-signature"))
        except InvalidWebhook as error:
            return JSONResponse({"error": error.message}, status_code=400)
        except Exception:
            log.exception("stripe webhook failed")
            return JSONResponse({"error": "unexpected error"}, status_code=500)
        return JSONResponse({"received": True, "outcome": outcome})

    return endpoint
