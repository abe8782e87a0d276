// The peer of `make bench`: panva's oidc-provider configured like our IdP (one confidential
// client, PKCE S256, RS256, refresh rotation, a password login step with Argon2id), N cluster
// workers on one port, storage on Redis. Started and stopped by bench/peer.py; settings by env:
//   PEER_PORT, PEER_WORKERS, PEER_REDIS_URL, PEER_PREFIX, PEER_CLIENT_ID, PEER_CLIENT_SECRET,
//   PEER_REDIRECT_URI, PEER_PASSWORD, PEER_USERS (JSON {"cheap": [m, t, p, count], ...})
import cluster from 'node:cluster';
import crypto from 'node:crypto';
import http from 'node:http';

import argon2 from 'argon2';
import Redis from 'ioredis';
import Provider from 'oidc-provider';

import { redisAdapter } from './redis_adapter.js';

const env = process.env;
const port = Number(env.PEER_PORT || 4100);
const issuer = `http://127.0.0.1:${port}`;

async function primary() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256' };
  jwk.kid = crypto.createHash('sha256').update(JSON.stringify({ e: jwk.e, kty: 'RSA', n: jwk.n }))
    .digest('base64url');
  const users = {};
  for (const [prefix, [m, t, p, count]] of Object.entries(JSON.parse(env.PEER_USERS))) {
    for (let i = 0; i < count; i += 1) {
      users[`${prefix}${i}`] = await argon2.hash(env.PEER_PASSWORD, {
        type: argon2.argon2id, memoryCost: m, timeCost: t, parallelism: p });
    }
  }
  const shared = JSON.stringify({ jwk, users, cookieKey: crypto.randomBytes(32).toString('hex') });
  const workers = Number(env.PEER_WORKERS || 2);
  for (let i = 0; i < workers; i += 1) cluster.fork({ PEER_SHARED: shared });
  let ready = 0;
  cluster.on('message', (w, msg) => {
    if (msg === 'listening' && ++ready === workers) console.log(`peer ready ${issuer} pid ${process.pid}`);
  });
  const stop = () => { for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM'); process.exit(0); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function page(uid, message) {
  return `<!doctype html><html lang="et"><head><meta charset="utf-8"><title>Sisene</title></head><body>
<form method="post" action="/interaction/${uid}/login">${message ? `<p role="alert">${message}</p>` : ''}
<label>Kasutajanimi <input name="username" autocomplete="username"></label>
<label>Salasõna <input name="password" type="password" autocomplete="current-password"></label>
<button>Sisene</button></form></body></html>`;
}

function readForm(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => { body += chunk; if (body.length > 1e5) reject(new Error('too long')); });
    req.on('end', () => resolve(Object.fromEntries(new URLSearchParams(body))));
    req.on('error', reject);
  });
}

async function worker() {
  const { jwk, users, cookieKey } = JSON.parse(env.PEER_SHARED);
  const redis = new Redis(env.PEER_REDIS_URL, { keyPrefix: env.PEER_PREFIX });
  const claims = (sub) => ({ sub, name: `Bench ${sub}`, given_name: 'Bench', family_name: sub,
    email: `${sub}@example.ee`, email_verified: true });
  const provider = new Provider(issuer, {
    adapter: redisAdapter(redis),
    clients: [{
      client_id: env.PEER_CLIENT_ID,
      client_secret: env.PEER_CLIENT_SECRET,
      redirect_uris: [env.PEER_REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
      scope: 'openid profile email accounts:read accounts:write',
    }],
    jwks: { keys: [jwk] },
    cookies: { keys: [cookieKey] },
    claims: { openid: ['sub'], profile: ['name', 'given_name', 'family_name'],
      email: ['email', 'email_verified'] },
    scopes: ['openid', 'profile', 'email', 'accounts:read', 'accounts:write'],
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      // RFC 9068 JWT access tokens for the API resource (client_credentials with resource=)
      resourceIndicators: {
        enabled: true,
        defaultResource: () => undefined,
        useGrantedResource: () => false,
        getResourceServerInfo: (ctx, resource) => ({ scope: 'accounts:read accounts:write', audience: resource,
          accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } }),
      },
    },
    rotateRefreshToken: true,
    issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
    findAccount: async (ctx, sub) => (users[sub] ? { accountId: sub, claims: () => claims(sub) } : undefined),
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    ttl: { AccessToken: 600, AuthorizationCode: 60, IdToken: 600, ClientCredentials: 600,
      RefreshToken: 30 * 24 * 3600, Interaction: 3600, Session: 12 * 3600, Grant: 30 * 24 * 3600 },
  });
  provider.on('server_error', (ctx, err) => console.error('server_error', err));
  const callback = provider.callback();
  const server = http.createServer(async (req, res) => {
    const match = req.url.match(/^\/interaction\/([\w-]+)(\/login)?$/);
    if (!match) return callback(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      if (req.method !== 'POST') return res.end(page(details.uid));
      const form = await readForm(req);
      const hash = users[form.username];
      const ok = hash ? await argon2.verify(hash, form.password || '') : false;
      if (!ok) { res.statusCode = 200; return res.end(page(details.uid, 'Vale kasutajanimi või salasõna')); }
      const grant = new provider.Grant({ accountId: form.username, clientId: details.params.client_id });
      grant.addOIDCScope(details.params.scope);
      const grantId = await grant.save();
      return await provider.interactionFinished(req, res, {
        login: { accountId: form.username, amr: ['pwd'] }, consent: { grantId } },
      { mergeWithLastSubmission: false });
    } catch (err) {
      res.statusCode = 400;
      return res.end(String(err.message || err));
    }
  });
  server.listen(port, '127.0.0.1', () => process.send('listening'));
  process.on('SIGTERM', () => { server.close(); redis.disconnect(); process.exit(0); });
}

if (cluster.isPrimary) await primary(); else await worker();
