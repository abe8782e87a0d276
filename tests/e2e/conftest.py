"""A live stack over real sockets: the IdP and three demo school Stuudiums, each served by
werkzeug in a thread on 127.0.0.1 (a free port each). No mocks."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from idp.delivery.worker import start_background_worker
from idp.extensions import db
from idp.services import accounts as account_service
from idp.services import schools as school_service
from schools_client.demo import create_demo_app
from tests.conftest import close_app, make_app
from tests.e2e.servers import Served, bind

PASSWORD = "e2e password 1"
SCHOOLS = [
    ("noomuusikakool", "Nõo Muusikakool", "music_school"),
    ("kesklinnagymnaasium", "Kesklinna Gümnaasium", "gymnasium"),
    ("paikesekiir", "Lasteaed Päikesekiir", "kindergarten"),
]
PEOPLE = [
    ("noomuusikakool", "mari", "Mari", "Maasikas", ["parent"], "48003120218"),
    ("kesklinnagymnaasium", "mari", "Mari", "Maasikas", ["parent"], "48003120218"),
    ("paikesekiir", "mari", "Mari", "Maasikas", ["parent"], "48003120218"),
    ("noomuusikakool", "juhan", "Juhan", "Kask", ["teacher", "admin"], None),
]


@dataclass
class Stack:
    idp: Served
    app: object
    schools: dict[str, Served] = field(default_factory=dict)
    school_apps: dict = field(default_factory=dict)

    def school(self, slug: str) -> str:
        return self.schools[slug].url


def school_registration(base: str) -> dict:
    return {
        "redirect_uris": [f"{base}/oidc/callback"],
        "post_logout_redirect_uris": [f"{base}/", f"{base}/oidc/logged-out"],
        "backchannel_logout_uri": f"{base}/oidc/backchannel-logout",
        "frontchannel_logout_uri": f"{base}/oidc/frontchannel-logout",
        "initiate_login_uri": f"{base}/oidc/login",
        "events_uri": f"{base}/oidc/events",
        "logo_uri": f"{base}/static/logo.svg",
    }


def build_stack(tmp_path, postgres_url, keys_dir, **idp_config) -> Stack:
    idp_served = bind()
    school_served = {slug: bind() for slug, _name, _kind in SCHOOLS}
    app = make_app(tmp_path, postgres_url, keys_dir, ISSUER=idp_served.url, **idp_config)
    secrets = {}
    with app.app_context():
        for slug, name, kind in SCHOOLS:
            _, secrets[slug] = school_service.add(
                slug=slug, name=name, kind=kind, allow_http=True,
                **school_registration(school_served[slug].url))
        for slug, username, given, family, roles, code in PEOPLE:
            account_service.add(school_service.get(slug), username=username, given_name=given,
                                family_name=family, roles=roles, email=f"{username}@example.ee",
                                isikukood=code, password=PASSWORD)
        db.session.commit()
    idp_served.attach(app)
    stack = Stack(idp=idp_served, app=app)
    for slug, name, _kind in SCHOOLS:
        served = school_served[slug]
        demo = create_demo_app({"slug": slug, "name": name, "issuer": idp_served.url,
                                "client_id": slug, "client_secret": secrets[slug],
                                "port": served.port, "base_url": served.url,
                                "allow_insecure_http": True})
        served.attach(demo)
        stack.schools[slug] = served
        stack.school_apps[slug] = demo
    return stack


@pytest.fixture
def stack(tmp_path, postgres_base_url, shared_keys_dir):
    stack = build_stack(tmp_path, postgres_base_url, shared_keys_dir)
    worker = start_background_worker(stack.app, interval=0.2)
    yield stack
    worker.stop()
    for served in [stack.idp, *stack.schools.values()]:
        served.stop()
    close_app(stack.app)
