"""Issue 11: the demo driver can pay from the start (Stripe's test Visa as default card), a fresh
localstripe does not leave the demo with customers it no longer knows, and the README's way of
changing the card works as written."""

from __future__ import annotations

import json
import re
from pathlib import Path

from domain.billing.models import BillingCustomer
from domain.identity import repository as identity_repo
from laddnet.demo import DEMO_DRIVER, DEMO_PASSWORD, ensure_demo_network
from tests.e2e.conftest import Laddnet

README = Path(__file__).resolve().parents[2] / "README.md"
ME = "{ me { defaultPaymentMethod { id brand last4 } } }"


def readme_payloads() -> list[dict[str, object]]:
    """The JSON bodies (-d '…') of the README's card-changing commands, verbatim."""
    section = README.read_text().split("### Paying in the demo", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [json.loads(body) for body in re.findall(r"-d \\?\s*'(\{.*?\})'", block, re.DOTALL)]


async def test_the_demo_driver_has_a_card_and_can_change_it_as_the_readme_says(
    laddnet: Laddnet,
) -> None:
    await ensure_demo_network(laddnet.container, 1)
    token = await laddnet.sign_in(DEMO_DRIVER, DEMO_PASSWORD)
    card = (await laddnet.data(ME, token=token))["me"]["defaultPaymentMethod"]
    assert (card["brand"], card["last4"]) == ("visa", "4242")

    # A new run's localstripe knows no stored customer: the demo makes the driver's again.
    driver = await identity_repo.driver_by_email(DEMO_DRIVER)
    assert driver is not None
    stored = await BillingCustomer.find_one(BillingCustomer.driver_id == driver.id)
    assert stored is not None
    await stored.set({"customer_id": "cus_from_a_previous_localstripe"})
    await ensure_demo_network(laddnet.container, 1, fresh_stripe=True)
    again = await BillingCustomer.find_one(BillingCustomer.driver_id == driver.id)
    assert again is not None and again.customer_id.startswith("cus_")
    assert again.customer_id != "cus_from_a_previous_localstripe"
    assert again.default_card is not None and again.default_card.last4 == "4242"

    # The README's two commands: sign in as the demo driver, set the card whose charges fail.
    sign_in, change = readme_payloads()
    response = await laddnet.http.post("/graphql", json=sign_in)
    readme_token = response.json()["data"]["signIn"]["tokens"]["accessToken"]
    changed = await laddnet.http.post(
        "/graphql", json=change, headers={"Authorization": f"Bearer {readme_token}"}
    )
    assert changed.json() == {
        "data": {
            "setDefaultPaymentMethod": {
                "paymentMethod": {"brand": "visa", "last4": "0341"},
                "errors": [],
            }
        }
    }
