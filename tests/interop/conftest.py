"""The IdP served on a loopback port with one school ("interop") and one person, for the
interop clients (openid-client on Node, pyoidc)."""

from __future__ import annotations

import pytest

from idp.extensions import db
from idp.services import accounts as account_service
from idp.services import schools as school_service
from tests.conftest import close_app, make_app
from tests.e2e.servers import bind

SECRET = "interop-secret-0123456789"
REDIRECT_URI = "http://127.0.0.1:9/cb"
POST_LOGOUT_URI = "http://127.0.0.1:9/"
PASSWORD = "interop password"


@pytest.fixture
def live_idp(tmp_path, postgres_base_url, shared_keys_dir):
    served = bind()
    app = make_app(tmp_path, postgres_base_url, shared_keys_dir, ISSUER=served.url)
    with app.app_context():
        school, _ = school_service.add(
            slug="interop", name="Interop Kool", allow_http=True, client_secret=SECRET,
            redirect_uris=[REDIRECT_URI], post_logout_redirect_uris=[POST_LOGOUT_URI])
        account_service.add(school, username="mari", given_name="Mari", family_name="Maasikas",
                            roles=["parent"], email="mari@example.ee", password=PASSWORD)
        db.session.commit()
    served.attach(app)
    yield served
    served.stop()
    close_app(app)
