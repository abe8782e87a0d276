"""Headless Chromium from Debian driven by Playwright (never Playwright's own browser build).

Under ``CI=true`` a missing browser fails the run; on a developer machine without Chromium
the browser tests are skipped with a message saying how to install it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import stack  # noqa: F401  (the live IdP + demo schools)

CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser_executable():
    path = chromium_path()
    if path is None:
        message = "Debian's chromium is not installed: apt-get install -y chromium"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def page(browser_executable, tmp_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_executable, args=CHROMIUM_FLAGS)
        context = browser.new_context(locale="et-EE")
        context.set_default_timeout(15_000)
        page = context.new_page()
        yield page
        context.close()
        browser.close()


def screenshot(page, name: str) -> None:
    """Keep a picture of what a person would see (test-artifacts/, git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
