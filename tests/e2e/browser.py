"""A real headless Chromium (Debian's ``chromium``, driven by Playwright for Python) for the console's
end-to-end tests, and where their screenshots go (``test-artifacts/console/``, git-ignored).

Playwright never downloads a browser here: it launches the system's /usr/bin/chromium, which the
project's ``make test`` installs (``make browser``) where it is missing."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.contract import REPO

CHROMIUM = os.environ.get("LADDNET_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = REPO / "test-artifacts" / "console"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"no Chromium at {CHROMIUM}: `make browser` installs Debian's chromium "
            "(apt-get install chromium), or set LADDNET_CHROMIUM"
        )
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield chromium
        finally:
            await chromium.close()


async def new_page(browser: Browser, base: str, *, phone: bool = False) -> Page:
    context = await browser.new_context(
        base_url=base,
        locale="en-GB",
        timezone_id="Europe/Stockholm",
        accept_downloads=True,
        **(
            {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
            if phone
            else {"viewport": {"width": 1360, "height": 900}}
        ),
    )
    context.set_default_timeout(10_000)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: errors.append(message.text) if message.type == "error" else None,
    )
    page.errors = errors  # type: ignore[attr-defined]
    return page


async def shot(page: Page, name: str) -> Path:
    """A full-page screenshot as a test artefact."""
    path = ARTIFACTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


async def sign_in(page: Page, email: str, password: str) -> None:
    await page.goto("/")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.get_by_role("heading", name="Network", level=1).wait_for()
