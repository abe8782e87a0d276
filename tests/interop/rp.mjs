// A real third-party relying party (panva's openid-client) against our IdP.
// Usage: node rp.mjs <issuer> <client_id> <client_secret> <redirect_uri> <username> <password>
// Prints one JSON line with what it verified. Every check that fails throws (exit code 1).
import * as client from 'openid-client';

const [issuer, clientId, clientSecret, redirectUri, username, password] = process.argv.slice(2);

const config = await client.discovery(new URL(issuer), clientId, clientSecret,
  client.ClientSecretBasic(clientSecret), { execute: [client.allowInsecureRequests] });

const codeVerifier = client.randomPKCECodeVerifier();
const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
const state = client.randomState();
const nonce = client.randomNonce();
const authUrl = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri, scope: 'openid profile email roles schools',
  code_challenge: codeChallenge, code_challenge_method: 'S256', state, nonce,
});

// Play the browser: follow redirects by hand, keep cookies, fill in the login form.
const jar = new Map();
function remember(res) {
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const i = pair.indexOf('=');
    jar.set(pair.slice(0, i), pair.slice(i + 1));
  }
}
const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
async function go(url, init = {}) {
  const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers || {}), cookie: cookieHeader() } });
  remember(res);
  return res;
}

let res = await go(authUrl);
let loginUrl = new URL(res.headers.get('location'), issuer);
res = await go(loginUrl);
const html = await res.text();
const csrf = html.match(/name="csrf_token" type="hidden" value="([^"]+)"/)[1];
res = await go(loginUrl, {
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams({ csrf_token: csrf, username, password }),
});
if (res.status !== 303) throw new Error(`login answered ${res.status}`);
res = await go(new URL(res.headers.get('location'), issuer));
const callback = new URL(res.headers.get('location'));
if (!callback.href.startsWith(redirectUri)) throw new Error(`unexpected redirect ${callback}`);

// openid-client checks state, iss (RFC 9207), PKCE, the ID token signature, iss/aud/exp/nonce
const tokens = await client.authorizationCodeGrant(config, callback, {
  pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
});
const claims = tokens.claims();
const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
const userinfoAfterRefresh = await client.fetchUserInfo(config, refreshed.access_token, claims.sub);

let replayError = null;
try {
  await client.refreshTokenGrant(config, tokens.refresh_token);
} catch (err) {
  replayError = err.error || err.code || String(err);
}

console.log(JSON.stringify({
  issuer: config.serverMetadata().issuer,
  sub: claims.sub,
  id_token_claims: claims,
  userinfo,
  refreshed: Boolean(refreshed.access_token && refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token),
  userinfo_after_refresh_sub: userinfoAfterRefresh.sub,
  replay_error: replayError,
}));
