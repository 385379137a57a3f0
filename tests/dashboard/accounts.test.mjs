// Users (§5 scenario 9: create, list, search, pages, details, multi-select delete), Secrets
// (create, reveal, delete; reserved ones kept) and Auth settings (password rules that sign-up then
// applies, the server's messages, the token providers), each checked through the API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startOxforge, launch, newPage, login, shot, openSection } from './harness.mjs';

let server, browser, page;
const PROVIDER_ISSUER = 'https://issuer.example.test/';

before(async () => {
  server = await startOxforge({
    env: {
      OXFORGE_AUTH_PROVIDERS: JSON.stringify([
        { name: 'test-oidc', issuer: PROVIDER_ISSUER, jwks_url: 'http://127.0.0.1:9/jwks.json', audiences: ['my-api'] },
      ]),
    },
  });
  browser = await launch();
  page = await newPage(browser, server, { permissions: ['clipboard-read', 'clipboard-write'] });
  await login(page, server);
  page.errors.length = 0; // the sign-in's expected 401 (no session yet)
  if (process.env.DEBUG_NET) page.on('response', (r) => r.url().includes('/api/') && console.log(r.request().method(), r.url().replace(server.url, ''), r.status()));
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A sign-up through the public route, as an app would; resolves with the status and body. */
async function signUp(email, password) {
  const res = await fetch(`${server.url}/api/auth/users`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  return { status: res.status, body: await res.json() };
}

const usersTable = () => page.getByRole('table', { name: 'Users' });

test('scenario 9: create alice in Users; she is listed, her details show, her password signs in', async () => {
  await openSection(page, 'Users');
  await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
  await usersTable().getByText('No users yet.').waitFor();

  await page.getByRole('button', { name: 'New user' }).click();
  const dialog = page.getByRole('dialog', { name: 'New user' });
  await dialog.getByLabel('Email').fill('alice@example.com');
  await dialog.getByLabel('Password').fill('alice-password-1');
  await dialog.getByLabel('Name').fill('Alice Liddell');
  await dialog.getByRole('button', { name: 'Create user' }).click();
  await dialog.waitFor({ state: 'detached' });
  await usersTable().getByRole('button', { name: 'Details of alice@example.com' }).waitFor();

  const listed = await server.api('/api/auth/users?search=alice');
  assert.equal(listed.pagination.total, 1);
  const alice = listed.data[0];
  assert.equal(alice.email, 'alice@example.com');
  assert.equal(alice.profile.name, 'Alice Liddell');

  // The new user's details open beside the list, with the id and a copy button.
  const details = page.getByRole('region', { name: 'User details' });
  await details.getByTestId('user-id').filter({ hasText: alice.id }).waitFor();
  assert.match(await details.textContent(), /email/);
  assert.match(await details.getByLabel('Profile').textContent(), /Alice Liddell/);
  await page.evaluate(() => navigator.clipboard.writeText(''));
  await details.getByRole('button', { name: 'Copy user id' }).click();
  await page.waitForFunction(async (id) => (await navigator.clipboard.readText()) === id, alice.id);

  const ok = await fetch(`${server.url}/api/auth/sessions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'alice@example.com', password: 'alice-password-1' }),
  });
  assert.equal(ok.status, 200);
  assert.equal((await ok.json()).user.id, alice.id);
  const wrong = await fetch(`${server.url}/api/auth/sessions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: 'alice@example.com', password: 'not-her-password' }),
  });
  assert.equal(wrong.status, 401);

  // A refused creation shows the server's message and keeps the dialog open.
  await page.getByRole('button', { name: 'New user' }).click();
  await dialog.getByLabel('Email').fill('short@example.com');
  await dialog.getByLabel('Password').fill('abc');
  await dialog.getByRole('button', { name: 'Create user' }).click();
  await dialog.getByRole('alert').filter({ hasText: 'Password must be at least 6 characters long' }).waitFor();
  await shot(page, 'users-create-refused');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  assert.equal((await server.api('/api/auth/users?search=short')).pagination.total, 0);
});

test('scenario 9: search, pages, and deleting two users through the multi-select', async () => {
  for (let i = 0; i < 20; i++) await server.api('/api/auth/users', { method: 'POST', body: { email: `filler${String(i).padStart(2, '0')}@example.com`, password: 'password-123' } });
  for (const n of ['bob', 'carol']) await server.api('/api/auth/users', { method: 'POST', body: { email: `${n}@example.com`, password: 'password-123' } });
  // 23 users, newest first: a page of 20 (carol, bob, 18 fillers) and one of 3 (2 fillers, alice).
  await page.reload();
  await usersTable().getByRole('row').nth(20).waitFor();
  assert.equal(await usersTable().locator('tbody tr').count(), 20);
  assert.match(await page.getByTestId('users-range').textContent(), /1–20 of 23/);
  await page.getByRole('button', { name: 'Next page' }).click();
  await page.getByTestId('users-range').filter({ hasText: '21–23 of 23' }).waitFor();
  assert.equal(await usersTable().locator('tbody tr').count(), 3);
  assert.ok(await page.getByRole('button', { name: 'Next page' }).isDisabled());
  await page.getByRole('button', { name: 'Previous page' }).click();
  await page.getByTestId('users-range').filter({ hasText: '1–20 of 23' }).waitFor();

  await page.getByLabel('Search users').fill('carol');
  await page.getByTestId('users-range').filter({ hasText: '1–1 of 1' }).waitFor();
  await usersTable().getByRole('button', { name: 'Details of carol@example.com' }).waitFor();
  await page.getByLabel('Select carol@example.com').check();
  await page.getByLabel('Search users').fill('bob');
  await page.getByTestId('users-range').filter({ hasText: '1–1 of 1' }).waitFor();
  await usersTable().getByRole('button', { name: 'Details of bob@example.com' }).waitFor();
  // Selections are per page shown: carol's is dropped once she is off screen.
  await page.getByLabel('Select all users on this page').check();
  await page.getByLabel('Search users').fill('');
  await page.getByTestId('users-range').filter({ hasText: '1–20 of 23' }).waitFor();
  await page.getByLabel('Select bob@example.com').check();
  await page.getByLabel('Select carol@example.com').check();

  const bob = (await server.api('/api/auth/users?search=bob')).data[0];
  await page.getByRole('button', { name: 'Delete selected (2)' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete 2 users?' });
  assert.match(await confirm.textContent(), /bob@example\.com[\s\S]*carol@example\.com|carol@example\.com[\s\S]*bob@example\.com/);
  await shot(page, 'users-delete-confirm');
  await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
  await confirm.waitFor({ state: 'detached' });
  await page.getByTestId('users-range').filter({ hasText: 'of 21' }).waitFor();

  const gone = await fetch(`${server.url}/api/auth/users/${bob.id}`, { headers: { Authorization: `Bearer ${server.apiKey}` } });
  assert.equal(gone.status, 404);
  const left = await server.api('/api/auth/users?limit=100');
  assert.equal(left.pagination.total, 21);
  const emails = left.data.map((u) => u.email);
  assert.ok(!emails.includes('bob@example.com') && !emails.includes('carol@example.com'));
  assert.ok(emails.includes('alice@example.com'), 'alice was deleted too');
  await page.getByLabel('Search users').fill('alice');
  await usersTable().getByRole('button', { name: 'Details of alice@example.com' }).click();
  await page.getByRole('region', { name: 'User details' }).getByText('Alice Liddell').waitFor();
  await shot(page, 'users');
});

test('secrets: create, reveal and delete through the page; reserved ones stay', async () => {
  await openSection(page, 'Secrets');
  await page.getByRole('heading', { name: 'Secrets', exact: true }).waitFor();
  const table = page.getByRole('table', { name: 'Secrets' });
  const jwtRow = table.locator('tr[data-key="JWT_SECRET"]');
  await jwtRow.waitFor();
  assert.match(await jwtRow.textContent(), /reserved/);
  assert.ok(await jwtRow.getByRole('button', { name: 'Delete JWT_SECRET' }).isDisabled());

  const form = page.getByRole('form', { name: 'New secret' });
  await form.getByLabel('Key').fill('stripe key');
  await form.getByLabel('Value').fill('sk_test_123');
  await form.getByRole('button', { name: 'Add secret' }).click();
  await form.getByRole('alert').filter({ hasText: 'key: Expected uppercase letters, digits and underscores' }).waitFor();

  await form.getByLabel('Key').fill('STRIPE_KEY');
  await form.getByRole('button', { name: 'Add secret' }).click();
  await table.locator('tr[data-key="STRIPE_KEY"]').waitFor();
  assert.equal((await server.api('/api/secrets/STRIPE_KEY')).value, 'sk_test_123');
  assert.ok(!(await table.textContent()).includes('sk_test_123'), 'the value shows before Reveal');

  await page.getByRole('button', { name: 'Reveal STRIPE_KEY' }).click();
  assert.equal(await page.getByLabel('Value of STRIPE_KEY').textContent(), 'sk_test_123');
  // The reserved JWT secret can be read too, and matches the API.
  await page.getByRole('button', { name: 'Reveal JWT_SECRET' }).click();
  assert.equal(await page.getByLabel('Value of JWT_SECRET').textContent(), (await server.api('/api/secrets/JWT_SECRET')).value);
  await page.getByRole('button', { name: 'Hide JWT_SECRET' }).click();
  await shot(page, 'secrets');

  await page.getByRole('button', { name: 'Delete STRIPE_KEY' }).click();
  const confirm = page.getByRole('dialog', { name: 'Delete secret STRIPE_KEY?' });
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  assert.equal((await server.api('/api/secrets/STRIPE_KEY')).value, 'sk_test_123', 'Cancel deleted the secret');
  await page.getByRole('button', { name: 'Delete STRIPE_KEY' }).click();
  await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
  await table.locator('tr[data-key="STRIPE_KEY"]').waitFor({ state: 'detached' });
  const res = await fetch(`${server.url}/api/secrets/STRIPE_KEY`, { headers: { Authorization: `Bearer ${server.apiKey}` } });
  assert.equal(res.status, 404);
  const all = (await server.api('/api/secrets')).secrets;
  assert.ok(all.some((s) => s.key === 'JWT_SECRET' && s.isActive));
  // Deleting deactivates: the API still lists the row, the page shows it only when asked.
  assert.equal(all.find((s) => s.key === 'STRIPE_KEY')?.isActive, false);
  await page.getByLabel(/Show 1 inactive/).check();
  const inactive = table.locator('tr.inactive').filter({ hasText: 'STRIPE_KEY' });
  await inactive.waitFor();
  assert.equal(await inactive.getByRole('button').count(), 0, 'an inactive secret offers actions');
});

test('auth settings: a longer minimum password length applies to sign-up; bad values show the server\'s message', async () => {
  await openSection(page, 'Auth settings');
  await page.getByRole('heading', { name: 'Auth settings', exact: true }).waitFor();
  const length = page.getByLabel('Minimum password length');
  assert.equal(await length.inputValue(), '6');
  assert.equal((await signUp('early@example.com', 'eight888')).status, 200, 'an 8-character password is fine at first');

  const sent = [];
  page.on('request', (r) => r.method() === 'PUT' && r.url().endsWith('/api/auth/config') && sent.push(r.postDataJSON()));
  await length.fill('10');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('button', { name: 'Save', exact: true }).and(page.locator(':disabled')).waitFor();
  assert.deepEqual(sent, [{ passwordMinLength: 10 }], 'only the changed field is sent');
  assert.equal((await server.api('/api/auth/config')).passwordMinLength, 10);

  const short = await signUp('late@example.com', 'nine99999');
  assert.equal(short.status, 400);
  assert.match(short.body.message, /10/);
  assert.equal((await signUp('late@example.com', 'ten1010101')).status, 200);

  // Out of bounds: the server refuses, its message shows, nothing changes.
  await length.fill('2');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'passwordMinLength: Number must be greater than or equal to 4' }).waitFor();
  assert.equal((await server.api('/api/auth/config')).passwordMinLength, 10);
  await page.getByRole('button', { name: 'Discard' }).click();
  assert.equal(await length.inputValue(), '10');

  // Two changes at once, one of them bad: the whole update is refused with the server's words.
  await page.getByLabel('a number').check();
  await page.getByLabel('Allowed redirect URLs').fill('https://app.example.com/callback\nnot a url');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'allowedRedirectUrls.1: Invalid URL or wildcard URL' }).waitFor();
  assert.equal((await server.api('/api/auth/config')).requireNumber, false);
  await page.getByLabel('Allowed redirect URLs').fill('https://app.example.com/callback\nhttps://*.example.com');
  await page.getByLabel('Disable sign-up').check();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByRole('button', { name: 'Save', exact: true }).and(page.locator(':disabled')).waitFor();
  const config = await server.api('/api/auth/config');
  assert.equal(config.requireNumber, true);
  assert.equal(config.disableSignup, true);
  assert.deepEqual(config.allowedRedirectUrls, ['https://app.example.com/callback', 'https://*.example.com']);
  assert.deepEqual(Object.keys(sent.at(-1)).sort(), ['allowedRedirectUrls', 'disableSignup', 'requireNumber']);
  const refused = await signUp('later@example.com', 'longenough1');
  assert.equal(refused.status, 403, `sign-up still open: ${JSON.stringify(refused.body)}`);

  // The providers oxforge verifies natively, read-only.
  const providers = page.getByRole('table', { name: 'Token providers' });
  await providers.getByText(PROVIDER_ISSUER).waitFor();
  assert.match(await providers.textContent(), /test-oidc[\s\S]*my-api[\s\S]*RS256/);
  await shot(page, 'auth-settings');
});

test('narrow and dark: users, secrets and auth settings fit 390 px', async () => {
  const narrow = await newPage(browser, server, { width: 390, height: 844 });
  await login(narrow, server);
  await narrow.getByRole('button', { name: 'Menu' }).click();
  await narrow.getByLabel('Theme').selectOption('dark');
  for (const [section, heading, name] of [
    ['Users', 'Users', 'users-narrow-dark'],
    ['Secrets', 'Secrets', 'secrets-narrow-dark'],
    ['Auth settings', 'Auth settings', 'auth-settings-narrow-dark'],
  ]) {
    await openSection(narrow, section);
    await narrow.getByRole('heading', { name: heading, exact: true }).waitFor();
    await narrow.waitForLoadState('networkidle');
    if (section === 'Users') {
      await narrow.getByLabel('Search users').fill('alice');
      await narrow.getByRole('button', { name: 'Details of alice@example.com' }).click();
      await narrow.getByRole('region', { name: 'User details' }).getByText('Alice Liddell').waitFor();
      assert.ok(await narrow.getByRole('button', { name: 'Next page' }).isVisible(), 'the pager is hidden at 390 px');
    }
    const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.equal(overflow, 0, `${section} scrolls sideways at 390 px`);
    await shot(narrow, name);
  }
  await narrow.context().close();
  // Only the refusals the tests asked for (400) and the reload's first try (401) may show.
  assert.deepEqual(page.errors.filter((e) => !/the server responded with a status of (400|401)\b/.test(e)), []);
});
