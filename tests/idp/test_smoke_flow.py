"""OIDC Core 3.1: the whole authorization code flow through the Flask test client."""

from joserfc import jwt

from tests.helpers import login_and_get_tokens


def test_OIDC_Core_3_1_code_flow_issues_verifiable_id_token(app, client, world):
    tokens = login_and_get_tokens(client, world.schools["alpha"], "mari")
    keys = app.extensions["keystore"].verification_keys()
    claims = jwt.decode(tokens["id_token"], keys).claims
    assert claims["iss"] == "http://idp.test"
    assert claims["aud"] == ["alpha"]
    assert claims["sub"] == world.accounts["alpha/mari"]
    assert claims["nonce"] == tokens["params"]["nonce"]
    assert claims["amr"] == ["pwd"] and claims["sid"] and claims["at_hash"]
    info = client.get("/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert info.status_code == 200
    assert info.get_json()["roles"] == ["parent"]
    assert info.get_json()["schools"][0]["name"] == "Alfa Kool"
