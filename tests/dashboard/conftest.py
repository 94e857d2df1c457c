"""Fixtures of the dashboard tests: a logged-in surgeon's and nurse's session (Django test client), and Playwright
driving Debian's headless Chromium for the browser tests."""
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.factories import NurseFactory, SurgeonFactory


@pytest.fixture
def surgeon(db):
    return SurgeonFactory()


@pytest.fixture
def surgeon_client(surgeon) -> Client:
    client = Client()
    client.force_login(surgeon.user)
    return client


@pytest.fixture
def nurse(surgeon):
    """A nurse in the surgeon's team."""
    return NurseFactory(teams=[surgeon], display_name="Nurse Noor")


@pytest.fixture
def nurse_client(nurse) -> Client:
    client = Client()
    client.force_login(nurse.user)
    return client


CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the tests' ORM calls are ordinary blocking ones.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page; any Content-Security-Policy violation it reports fails the test (no inline code left)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    yield page
    context.close()
    assert violations == []
