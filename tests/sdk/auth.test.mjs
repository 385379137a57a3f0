// Accounts through the real @insforge/sdk: browser mode (httpOnly cookie + CSRF, emulated) and
// server mode (refresh token in the body).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from '@insforge/sdk';
import { startOxforge } from './harness.mjs';
import { installDocumentCookie, cookieJarFetch } from './browser-env.mjs';

let ox;
const ACCESS_TTL = 2; // seconds, so automatic refresh can be observed

before(async () => {
  installDocumentCookie();
  ox = await startOxforge({ env: { OXFORGE_ACCESS_TOKEN_TTL: String(ACCESS_TTL), OXFORGE_AUTH_RATE_LIMIT: '0' } });
  ox.sql(`
    CREATE TABLE public.notes (id serial PRIMARY KEY, owner uuid NOT NULL DEFAULT auth.uid(), body text);
    ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
    CREATE POLICY own ON public.notes FOR ALL TO authenticated USING (owner = auth.uid()) WITH CHECK (owner = auth.uid());
  `);
});

after(async () => {
  await ox?.stop();
});

const browserClient = () => createClient({ baseUrl: ox.url, anonKey: ox.anonKey, fetch: cookieJarFetch() });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('browser mode: sign up, data under auth.uid(), automatic refresh, profile, sign out', async () => {
  const client = browserClient();
  let r = await client.auth.signUp({ email: 'Web.User@Example.com', password: 'secret123', name: 'Web' });
  assert.equal(r.error, null, JSON.stringify(r.error));
  const user = r.data.user;
  assert.equal(user.email, 'web.user@example.com');
  assert.ok(r.data.csrfToken, 'web responses carry csrfToken');
  assert.equal(r.data.refreshToken, undefined, 'and no refresh token in the body');

  r = await client.database.from('notes').insert({ body: 'first' }).select().single();
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.owner, user.id, 'inserts land under auth.uid()');

  // Let the access token expire: the next database call gets 401 AUTH_UNAUTHORIZED, the SDK
  // refreshes with the cookie + X-CSRF-Token, and retries.
  await sleep((ACCESS_TTL + 1) * 1000);
  r = await client.database.from('notes').select('body');
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.deepEqual(r.data, [{ body: 'first' }]);

  r = await client.auth.getCurrentUser();
  assert.equal(r.data.user.id, user.id);
  r = await client.auth.refreshSession();
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.ok(r.data.accessToken);

  r = await client.auth.setProfile({ avatar: 'a.png' });
  assert.equal(r.error, null, JSON.stringify(r.error));
  r = await client.auth.getProfile(user.id);
  assert.deepEqual(r.data.profile, { name: 'Web', avatar: 'a.png' });

  r = await client.auth.signOut();
  assert.equal(r.error, null, JSON.stringify(r.error));
  r = await client.auth.refreshSession();
  assert.equal(r.error?.statusCode, 401, 'the session is gone after sign-out');
  r = await client.database.from('notes').select('body');
  assert.deepEqual(r.data, [], 'signed out, the anon key sees nothing');
});

test('sign-in errors and duplicates', async () => {
  const client = browserClient();
  let r = await client.auth.signUp({ email: 'dup@example.com', password: 'secret123' });
  assert.equal(r.error, null);
  r = await browserClient().auth.signUp({ email: 'DUP@example.com', password: 'secret123' });
  assert.equal(r.error.statusCode, 409);
  assert.equal(r.error.error, 'AUTH_EMAIL_EXISTS');
  r = await browserClient().auth.signInWithPassword({ email: 'dup@example.com', password: 'wrong-password' });
  assert.equal(r.error.statusCode, 401);
  assert.equal(r.error.error, 'AUTH_UNAUTHORIZED');
  r = await browserClient().auth.signInWithPassword({ email: 'dup@example.com', password: 'secret123' });
  assert.equal(r.error, null);
  assert.equal(r.data.user.email, 'dup@example.com');
  r = await browserClient().auth.signUp({ email: 'short@example.com', password: '123' });
  assert.equal(r.error.error, 'INVALID_INPUT');
});

test('server mode: refresh token in the body, current user from the server', async () => {
  const client = createClient({ baseUrl: ox.url, anonKey: ox.anonKey, isServerMode: true });
  let r = await client.auth.signUp({ email: 'server@example.com', password: 'secret123' });
  assert.equal(r.error, null, JSON.stringify(r.error));
  const { refreshToken, user } = r.data;
  assert.ok(refreshToken, 'non-web responses carry the refresh token');

  r = await client.auth.refreshSession({ refreshToken });
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.notEqual(r.data.refreshToken, refreshToken, 'rotated');
  const accessToken = r.data.accessToken;
  r = await client.auth.refreshSession({ refreshToken });
  assert.equal(r.error.statusCode, 401, 'a refresh token works once');

  // Server code passes the user's access token per request, as the SDK's SSR helpers do.
  const me = createClient({ baseUrl: ox.url, accessToken });
  r = await me.auth.getCurrentUser();
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data.user.id, user.id);
  r = await me.database.from('notes').insert({ body: 'from the server' }).select('owner').single();
  assert.equal(r.data.owner, user.id);

  const fresh = createClient({ baseUrl: ox.url, anonKey: ox.anonKey, isServerMode: true });
  r = await fresh.auth.signInWithPassword({ email: 'server@example.com', password: 'secret123' });
  assert.equal(r.error, null);
  assert.ok(r.data.refreshToken);
  assert.equal(r.data.user.id, user.id);
});
