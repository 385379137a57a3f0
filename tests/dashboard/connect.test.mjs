// The Connect page: copied values work with the real SDK (§5 scenario 3), the JWT secret signs
// tokens oxforge accepts (scenario 4), key rotation with a grace period and with revoke-now
// (scenario 12), the status section, and the narrow dark layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import jwt from 'jsonwebtoken';
import { createClient } from '@insforge/sdk';
import { useOxforge, newPage, login, shot, openSection, copied } from './harness.mjs';

let server, browser, page;

useOxforge(async (s, b) => {
  [server, browser] = [s, b];
  // A table anyone with the anon key may read (no RLS), made through the admin SQL API.
  await server.api('/api/database/advance/rawsql', {
    method: 'POST',
    body: { query: "create table notes (id int primary key, body text); insert into notes values (1, 'hello');" },
  });
  page = await newPage(browser, server, { permissions: ['clipboard-read', 'clipboard-write'] });
  await login(page, server);
  await page.getByRole('heading', { name: 'Connect', exact: true }).waitFor();
  page.errors.length = 0; // the sign-in's expected 401 (no session yet)
});

/** GET /api/database/records/notes with a key; resolves with the status. */
async function readNotes(key) {
  const res = await fetch(`${server.url}/api/database/records/notes`, { headers: { Authorization: `Bearer ${key}` } });
  await res.body?.cancel();
  return res.status;
}

test('scenario 3: the copied anon key and the shown URL make a working SDK client', async () => {
  const shownUrl = (await page.getByLabel('Project URL', { exact: true }).textContent()).trim();
  assert.equal(shownUrl, server.url);
  assert.equal(await copied(page, 'Copy Project URL'), server.url);

  const anon = await copied(page, 'Copy Anon key');
  const { anonKey } = await server.api('/api/metadata/anon-key');
  assert.equal(anon, anonKey);
  // Copying did not reveal it on the page.
  assert.ok(!(await page.getByTestId('anon-key').textContent()).includes(anonKey));

  const insforge = createClient({ baseUrl: shownUrl, anonKey: anon });
  const { data, error } = await insforge.database.from('notes').select();
  assert.equal(error, null);
  assert.deepEqual(data, [{ id: 1, body: 'hello' }]);
  // The same call with a key that is not the project's is refused: the check above means something.
  const wrong = createClient({ baseUrl: shownUrl, anonKey: 'anon_' + '0'.repeat(64) });
  const refused = await wrong.database.from('notes').select();
  assert.ok(refused.error, 'a wrong anon key was accepted');

  // The .env copy holds the same two values.
  assert.equal(await copied(page, 'Copy .env'), `VITE_INSFORGE_BASE_URL=${server.url}\nVITE_INSFORGE_ANON_KEY=${anonKey}\n`);
  assert.match(await copied(page, 'Copy snippet'), /createClient\(\{\s+baseUrl: .*,\s+anonKey: /);
  await shot(page, 'connect');
});

test('scenario 4: the revealed and copied JWT secret signs tokens /api/oxforge/whoami accepts', async () => {
  const { value: secret } = await server.api('/api/secrets/JWT_SECRET');
  const field = page.getByTestId('jwt-secret');
  assert.ok(!(await field.textContent()).includes(secret), 'the secret shows before Reveal');
  await page.getByRole('button', { name: 'Reveal JWT secret' }).click();
  await page.getByRole('button', { name: 'Hide JWT secret' }).waitFor();
  assert.equal((await field.locator('code').textContent()).trim(), secret);
  const jwtSecret = await copied(page, 'Copy JWT secret');
  assert.equal(jwtSecret, secret);

  const token = jwt.sign({ sub: 'auth0|alice', role: 'authenticated', aud: 'insforge-api' }, jwtSecret, { algorithm: 'HS256', expiresIn: 300 });
  const res = await fetch(`${server.url}/api/oxforge/whoami`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  const who = await res.json();
  assert.equal(who.role, 'authenticated');
  assert.equal(who.claims.sub, 'auth0|alice');
  assert.equal(who.claims.role, 'authenticated');

  const forged = jwt.sign({ sub: 'auth0|alice', role: 'authenticated' }, jwtSecret + 'x', { algorithm: 'HS256', expiresIn: 300 });
  const bad = await fetch(`${server.url}/api/oxforge/whoami`, { headers: { Authorization: `Bearer ${forged}` } });
  assert.equal(bad.status, 401, 'a token signed with another secret was accepted');
  await page.getByRole('button', { name: 'Hide JWT secret' }).click();
});

test('status: the versions from /api/health and the database up', async () => {
  const health = await (await fetch(`${server.url}/api/health`)).json();
  const status = page.getByRole('region', { name: 'Status' });
  await status.getByTestId('database-status').filter({ hasText: /\bup\b/ }).waitFor();
  assert.equal((await status.getByTestId('api-version').textContent()).trim(), health.version);
  assert.equal((await status.getByTestId('oxforge-version').textContent()).trim(), health.oxforgeVersion);
  assert.match(await status.getByTestId('database-status').textContent(), /1 table\b/);
});

test('scenario 12: rotating the anon key with a 24 h grace shows the new key; the old one still works', async () => {
  const { anonKey: oldKey } = await server.api('/api/metadata/anon-key');
  await page.getByRole('button', { name: 'Rotate anon key…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Rotate the anon key' });
  assert.ok(await dialog.getByLabel('keeps working for 24 hours').isChecked(), '24 h is the default');
  await shot(page, 'connect-rotate-confirm');
  await dialog.getByRole('button', { name: 'Rotate the anon key' }).click();
  const shown = (await dialog.getByLabel('New anon key').textContent()).trim();
  const { anonKey: newKey } = await server.api('/api/metadata/anon-key');
  assert.notEqual(newKey, oldKey);
  assert.equal(shown, newKey);
  assert.match(await dialog.textContent(), /old key works until/);
  await shot(page, 'connect-rotated');
  await dialog.getByRole('button', { name: 'Done' }).click();

  // The field now gives the new key.
  assert.equal(await copied(page, 'Copy Anon key'), newKey);
  assert.equal(await readNotes(oldKey), 200, 'the old anon key stopped working within its grace period');
  assert.equal(await readNotes(newKey), 200);
  assert.equal(await readNotes('anon_' + 'f'.repeat(64)), 401);
});

test('scenario 12: rotating the API key with revoke-now refuses the old key at once', async () => {
  const oldKey = server.apiKey;
  assert.equal((await fetch(`${server.url}/api/secrets`, { headers: { Authorization: `Bearer ${oldKey}` } })).status, 200);
  await page.getByRole('button', { name: 'Rotate API key…' }).click();
  const dialog = page.getByRole('dialog', { name: 'Rotate the API key' });
  await dialog.getByLabel('stops working now').check();
  await dialog.getByText('will be refused at once').waitFor();
  await dialog.getByRole('button', { name: 'Rotate the API key' }).click();
  const newKey = (await dialog.getByLabel('New API key').textContent()).trim();
  assert.match(await dialog.textContent(), /old key no longer works/);
  await dialog.getByRole('button', { name: 'Done' }).click();

  // server.api still holds the original key: from here on, the new one is used by hand.
  const withKey = (key) => fetch(`${server.url}/api/secrets`, { headers: { Authorization: `Bearer ${key}` } });
  assert.equal((await withKey(oldKey)).status, 401, 'the old API key still works after revoke-now');
  const res = await fetch(`${server.url}/api/metadata/api-key`, { headers: { Authorization: `Bearer ${newKey}` } });
  assert.equal(res.status, 200);
  assert.equal((await res.json()).apiKey, newKey);
  assert.notEqual(newKey, oldKey);
  assert.deepEqual(page.errors, []);
});

test('narrow and dark: Connect fits 390 px', async () => {
  const narrow = await newPage(browser, server, { width: 390, height: 844 });
  await login(narrow, server);
  await narrow.getByRole('button', { name: 'Menu' }).click();
  await narrow.getByLabel('Theme').selectOption('dark');
  await openSection(narrow, 'Connect');
  await narrow.getByRole('heading', { name: 'Status' }).waitFor();
  await narrow.getByTestId('database-status').filter({ hasText: /\bup\b/ }).waitFor();
  const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, 'Connect scrolls sideways at 390 px');
  await shot(narrow, 'connect-narrow-dark');
  await narrow.getByRole('button', { name: 'Rotate anon key…' }).click();
  await shot(narrow, 'connect-rotate-narrow-dark');
  await narrow.context().close();
});
