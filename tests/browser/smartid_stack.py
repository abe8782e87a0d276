"""The live stack of ``tests/e2e`` plus the Smart-ID stand-in on its own socket, for browser
tests that play the phone with the stand-in's confirm endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from idp.delivery.worker import start_background_worker
from idp.eid import testpki
from idp.eid.smartid.standin import create_standin_app
from idp.eid.smartid.standin_service import DEFAULT_PERSONAS, Persona
from tests.conftest import close_app
from tests.e2e.conftest import build_stack
from tests.e2e.servers import bind

RP_UUID, RP_NAME = "00000000-0000-4000-8000-000000000000", "DEMO"


@contextmanager
def smartid_stack_running(tmp_path, postgres_url, keys_dir, *, personas: tuple[Persona, ...],
                          **idp_config) -> Iterator[tuple]:
    """Yields (stack, stand-in server, stand-in service); the stand-in knows SK's test persons
    and ``personas``."""
    ca = testpki.make_ca("STAND-IN Smart-ID TEST CA (not SK)")
    (tmp_path / "standin-ca.pem").write_bytes(ca.certificate_pem())
    standin = bind()
    service_app = create_standin_app(ca=ca, relying_parties={RP_UUID: RP_NAME},
                                     personas=(*DEFAULT_PERSONAS, *personas))
    standin.attach(service_app)
    stack = build_stack(tmp_path, postgres_url, keys_dir,
                        SMARTID_BASE_URL=f"{standin.url}/v3/", SMARTID_RELYING_PARTY_UUID=RP_UUID,
                        SMARTID_RELYING_PARTY_NAME=RP_NAME, SMARTID_SCHEME_NAME="smart-id-demo",
                        SMARTID_EXTRA_CA_FILES=[str(tmp_path / "standin-ca.pem")],
                        SMARTID_POLL_TIMEOUT_MS=1000, SMARTID_STANDIN_PHONE_URL=f"{standin.url}/",
                        **idp_config)
    worker = start_background_worker(stack.app, interval=0.2)
    try:
        yield stack, standin, service_app.extensions["smartid_standin"]
    finally:
        worker.stop()
        for served in [stack.idp, *stack.schools.values(), standin]:
            served.stop()
        close_app(stack.app)
