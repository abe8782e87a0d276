"""Recovery tests run against a real SMTP server in-process (aiosmtpd): every e-mail they read
went through the outbox, the worker's delivery and SMTP."""

from __future__ import annotations

import pytest

from tests.delivery.smtp import SMTPServer


@pytest.fixture(scope="module")
def smtp_server():
    with SMTPServer() as server:
        yield server


@pytest.fixture
def app_config(request, smtp_server):
    return {**smtp_server.config(), **getattr(request, "param", {})}
