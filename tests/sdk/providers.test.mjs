// Third-party identity through the real @insforge/sdk:
// - each integration guide's token, signed exactly as the guide signs it (shared JWT secret);
// - a provider nobody here wrote (oauth2-mock-server@8, on loopback), verified natively by its JWKS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import jwt from 'jsonwebtoken';
import { OAuth2Server } from 'oauth2-mock-server';
import { createClient } from '@insforge/sdk';
import { GUIDE_SQL, startOxforge } from './harness.mjs';

let ox;
let mock;
const AUDIENCE = 'oxforge-todos';

before(async () => {
  mock = new OAuth2Server();
  await mock.issuer.keys.generate('RS256');
  await mock.start(0, '127.0.0.1');
  ox = await startOxforge({
    env: {
      OXFORGE_AUTH_PROVIDERS: JSON.stringify([{ name: 'mock-oidc', issuer: mock.issuer.url, audiences: [AUDIENCE] }]),
      OXFORGE_AUTH_RATE_LIMIT: '0',
    },
  });
  ox.sql(GUIDE_SQL);
});

after(async () => {
  await ox?.stop();
  await mock?.stop();
});

const now = () => Math.floor(Date.now() / 1000);

/** Each user inserts one todo and then sees exactly their own. */
async function assertIsolated(users) {
  for (const [sub, client] of users) {
    const r = await client.database.from('todos').insert({ title: `todo of ${sub}` }).select('user_id').single();
    assert.equal(r.error, null, `${sub}: ${JSON.stringify(r.error)}`);
    assert.equal(r.data.user_id, sub);
  }
  for (const [sub, client] of users) {
    const r = await client.database.from('todos').select('user_id');
    assert.equal(r.error, null);
    assert.ok(r.data.length >= 1, sub);
    assert.ok(r.data.every((row) => row.user_id === sub), `${sub} saw ${JSON.stringify(r.data)}`);
  }
}

test('guide tokens signed with the JWT secret (Auth0, Clerk, Kinde, WorkOS, Stytch, Better Auth)', async () => {
  const secret = ox.jwtSecret;
  const withToken = (token) => createClient({ baseUrl: ox.url, edgeFunctionToken: token });
  // Auth0 Post-Login Action.
  const auth0 = jwt.sign({ sub: 'auth0|65f0c0ffee', role: 'authenticated', aud: 'insforge-api', email: 'a@example.com' }, secret, { expiresIn: '1h' });
  // Clerk JWT template `insforge` (HS256, custom signing key; Clerk adds sub, iss, iat, nbf, exp = 60 s).
  const iat = now();
  const clerk = jwt.sign({ role: 'authenticated', aud: 'insforge-api', sub: 'user_2abcDEF', iss: 'https://x.clerk.accounts.dev', iat, nbf: iat, exp: iat + 60 }, secret);
  // Kinde (app server).
  const kinde = jwt.sign({ sub: 'kp_1234abcd', role: 'authenticated', aud: 'insforge-api', email: 'k@example.com' }, secret, { expiresIn: '1h' });
  // WorkOS (app server; no email).
  const workos = jwt.sign({ sub: 'user_01HXYZ', role: 'authenticated', aud: 'insforge-api', exp: now() + 3600 }, secret);
  // Stytch, as the skill guide corrects it (`sub`, not the sample's `userId`).
  const stytch = jwt.sign({ sub: 'user-test-1234', role: 'authenticated', aud: 'insforge-api', exp: now() + 3600 }, secret);
  // Better Auth bridge route; the browser hook calls setAccessToken.
  const betterAuth = jwt.sign({ sub: 'ba_user_42', role: 'authenticated', aud: 'insforge-api' }, secret, { algorithm: 'HS256', expiresIn: '1h' });
  const betterAuthClient = createClient({ baseUrl: ox.url, anonKey: ox.anonKey, autoRefreshToken: false });
  betterAuthClient.setAccessToken(betterAuth);

  await assertIsolated([
    ['auth0|65f0c0ffee', withToken(auth0)],
    ['user_2abcDEF', withToken(clerk)],
    ['kp_1234abcd', withToken(kinde)],
    ['user_01HXYZ', withToken(workos)],
    ['user-test-1234', withToken(stytch)],
    ['ba_user_42', betterAuthClient],
  ]);

  // The Stytch sample's token (no `sub`) is refused, as InsForge refuses it.
  const broken = jwt.sign({ userId: 'user-test-1', role: 'authenticated', aud: 'insforge-api', exp: now() + 3600 }, secret);
  const r = await withToken(broken).database.from('todos').select('*');
  assert.equal(r.status, 401);
});

test('oauth2-mock-server tokens verified natively, with no shared secret', async () => {
  const token = (sub, aud = AUDIENCE) =>
    mock.issuer.buildToken({
      scopesOrTransform: (_header, payload) => {
        payload.sub = sub;
        payload.aud = aud;
        payload.email = `${sub.split('|')[1]}@mock.test`;
      },
    });
  const alice = createClient({ baseUrl: ox.url, accessToken: await token('mock|alice') });
  const bob = createClient({ baseUrl: ox.url, accessToken: await token('mock|bob') });
  await assertIsolated([
    ['mock|alice', alice],
    ['mock|bob', bob],
  ]);
  const wrongAudience = createClient({ baseUrl: ox.url, accessToken: await token('mock|eve', 'someone-else') });
  const r = await wrongAudience.database.from('todos').select('*');
  assert.equal(r.status, 401);
  assert.match(r.error.message, /audience/);
});
