"""Fixtures for eID login at the IdP: a test ID-card PKI with a real OCSP responder, the Smart-ID
stand-in (RP API v3) on a real socket, and a cast of people at three schools.

Codes come from the stand-in's test persons: JÕEORG JAAK-KRISTJAN 38001085718 (also the test
ID-card), ANNE 40404040009, JAAN 50001029996, MINOR 61101019999, MARY ÄNN 60001019906.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from idp.eid import testpki
from idp.eid.smartid.standin import create_standin_app
from idp.eid.smartid.standin_service import DEFAULT_PERSONAS, Persona
from idp.extensions import db
from idp.models import Account, School
from idp.services import accounts as account_service
from idp.services import schools as school_service
from tests.browser.conftest import browser_executable, page  # noqa: F401  (browser tests)
from tests.e2e.servers import bind
from tests.eid.support import ORIGIN, Clock, OcspResponder
from tests.helpers import PASSWORD

RP_UUID, RP_NAME = "00000000-0000-4000-8000-000000000000", "DEMO"
PERSONAS = (*DEFAULT_PERSONAS, Persona("39901012239", "BASIC", "TESTNUMBER", level="ADVANCED"))
CODES = {"juhan": "38001085718", "mari": "40404040009", "dora": "50001029996",
         "kati": "61101019999", "basic": "39901012239"}


@pytest.fixture(scope="session")
def idcard_ca() -> testpki.TestCa:
    return testpki.make_ca("TEST of ESTEID-like CA (eID login tests)")


@pytest.fixture(scope="session")
def card_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP384R1())


@pytest.fixture(scope="session")
def ocsp_server(idcard_ca):
    responder = OcspResponder(idcard_ca, Clock())
    served = bind()
    served.attach(responder.app)
    yield responder, f"{served.url}/ocsp"
    served.stop()


@pytest.fixture
def ocsp(ocsp_server):
    """The OCSP responder, answering with the real time (the IdP checks with the real time)."""
    responder, url = ocsp_server
    responder.reset(Clock(dt.datetime.now(dt.UTC)))
    return responder, url


@pytest.fixture
def issue_card(idcard_ca, card_key, ocsp):
    def issue(code: str = CODES["juhan"], given: str = "JAAK-KRISTJAN", family: str = "JÕEORG"):
        return testpki.idcard_auth_certificate(idcard_ca, card_key.public_key(),
                                               personal_code=code, given_name=given,
                                               family_name=family, ocsp_url=ocsp[1])
    return issue


@pytest.fixture(scope="session")
def standin_ca() -> testpki.TestCa:
    return testpki.make_ca("STAND-IN Smart-ID TEST CA (not SK)")


@pytest.fixture(scope="session")
def ca_files(tmp_path_factory, idcard_ca, standin_ca) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("eid-cas")
    (folder / "idcard.pem").write_bytes(idcard_ca.certificate_pem())
    (folder / "standin.pem").write_bytes(standin_ca.certificate_pem())
    return {"idcard": str(folder / "idcard.pem"), "smartid": str(folder / "standin.pem")}


@pytest.fixture(scope="session")
def standin_server():
    served = bind()
    yield served
    served.stop()


@pytest.fixture(scope="session")
def persona_keys() -> dict:
    return {}  # RSA key generation is slow: the test persons keep theirs for the session


@dataclass
class Standin:
    """The Smart-ID stand-in of one test, and the test playing the person's phone."""

    url: str
    app: object
    sessions_seen: set = field(default_factory=set)

    @property
    def service(self):
        return self.app.extensions["smartid_standin"]

    def waiting(self):
        """The one session waiting for a person (the newest)."""
        pending = self.service.pending()
        assert pending, "no Smart-ID session is waiting"
        return max(pending, key=lambda s: s.created_at)


@pytest.fixture
def standin(standin_server, standin_ca, persona_keys) -> Standin:
    app = create_standin_app(ca=standin_ca, personas=PERSONAS, relying_parties={RP_UUID: RP_NAME},
                             long_poll_cap_ms=0, key_cache=persona_keys)
    standin_server.attach(app)
    return Standin(standin_server.url, app)


def eid_config(standin_url: str, ca_files: dict[str, str]) -> dict:
    return {
        "WEBEID_ORIGIN": ORIGIN, "WEBEID_EXTRA_CA_FILES": [ca_files["idcard"]],
        "SMARTID_BASE_URL": f"{standin_url}/v3/", "SMARTID_RELYING_PARTY_UUID": RP_UUID,
        "SMARTID_RELYING_PARTY_NAME": RP_NAME, "SMARTID_SCHEME_NAME": "smart-id-demo",
        "SMARTID_EXTRA_CA_FILES": [ca_files["smartid"]], "SMARTID_POLL_TIMEOUT_MS": 1000,
        "STAFF_EID_REQUIRED": True,
    }


@pytest.fixture
def app_config(request, standin, ca_files):
    return {**eid_config(standin.url, ca_files), **getattr(request, "param", {})}


@dataclass
class Cast:
    ids: dict[str, int]      # "slug/username" -> account id
    subs: dict[str, str]     # "slug/username" -> sub


def add(slug: str, username: str, given: str, family: str, roles: list[str],
        code: str | None = None, email: str | None = None, password: str | None = PASSWORD):
    return account_service.add(school_service.get(slug), username=username, given_name=given,
                               family_name=family, roles=roles, isikukood=code, email=email,
                               password=password)


def build_cast() -> Cast:
    """``tests.helpers.build_world`` (alpha, beta) plus:

    * alpha: juhan (teacher, the test ID-card's person), dora (director), mari (parent, ANNE),
      kati (student, mari's child, MINOR), peeter + mia (another family), sten (staff);
    * beta: mari's account linked to her alpha one, with her child laur;
    * gamma (a kindergarten): mari linked there too, with her child toomas.
    """
    for slug, username, code in (("alpha", "juhan", CODES["juhan"]),
                                 ("alpha", "mari", CODES["mari"]),
                                 ("alpha", "kati", CODES["kati"])):
        account = db.session.scalar(db.select(Account).join(School).where(
            School.slug == slug, Account.username == username))
        account.person.isikukood = code
    school_service.add(slug="gamma", name="Lasteaed Gamma", kind="kindergarten",
                       client_secret="gamma-secret-" + "g" * 32,
                       redirect_uris=["https://gamma.school.test/cb"])
    add("alpha", "dora", "Dora", "Direktor", ["teacher", "admin"], CODES["dora"])
    add("alpha", "sten", "Sten", "Staff", ["staff"])
    add("alpha", "peeter", "Peeter", "Puu", ["parent"], email="peeter@example.ee")
    add("alpha", "mia", "Mia", "Puu", ["student"], password=None)
    add("beta", "laur", "Laur", "Maasikas", ["student"], password=None)
    add("gamma", "mari", "Mari", "Maasikas", ["parent"], password=None)
    add("gamma", "toomas", "Toomas", "Maasikas", ["student"], password=None)
    db.session.flush()
    accounts = {f"{a.school.slug}/{a.username}": a for a in db.session.scalars(db.select(Account))}
    mari = accounts["alpha/mari"].person
    for key in ("beta/mari", "gamma/mari"):  # linked: one person, three schools
        accounts[key].person_id = mari.id
    for parent, child in (("alpha/mari", "alpha/kati"), ("alpha/peeter", "alpha/mia"),
                          ("beta/mari", "beta/laur"), ("gamma/mari", "gamma/toomas")):
        account_service.add_guardianship(accounts[parent], accounts[child], actor="test",
                                         via="test")
    db.session.commit()
    return Cast(ids={k: a.id for k, a in accounts.items()},
                subs={k: a.sub for k, a in accounts.items()})


@pytest.fixture
def cast(app, world) -> Cast:
    with app.app_context():
        return build_cast()
