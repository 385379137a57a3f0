// The shell: gatekeeping and headers, sign-in/reload/sign-out, theme and the narrow layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useOxforge, newPage, login, shot, openSection, signedInShell } from './harness.mjs';

let server, browser;
useOxforge((s, b) => ([server, browser] = [s, b]));

test('gatekeeping: / leads to the login page, pages need a session, headers are strict, no secret is served', async () => {
  const root = await fetch(server.url + '/', { redirect: 'manual' });
  assert.ok([302, 303, 307].includes(root.status), `GET / answered ${root.status}`);
  assert.equal(root.headers.get('location'), '/dashboard/login');
  assert.equal(server.dashboardUrl, server.url + '/dashboard/login', 'the summary prints the dashboard URL');

  const index = await fetch(server.url + '/dashboard/tables');
  assert.equal(index.status, 200);
  const csp = index.headers.get('content-security-policy');
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.equal(index.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(index.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  const html = await index.text();

  // Every served file: the page and each asset it names, then the assets those name.
  const jwtSecret = (await server.api('/api/secrets/JWT_SECRET')).value;
  const seen = new Set();
  const queue = [...html.matchAll(/\/dashboard\/assets\/[\w.-]+/g)].map((m) => m[0]);
  assert.ok(queue.length > 0, 'index.html names its assets');
  let served = html;
  while (queue.length) {
    const path = queue.shift();
    if (seen.has(path)) continue;
    seen.add(path);
    const res = await fetch(server.url + path);
    assert.equal(res.status, 200, path);
    assert.match(res.headers.get('cache-control'), /immutable/, path);
    const body = await res.text();
    served += body;
    // Chunks name each other relatively (`./Sql-<hash>.js`) or from the base (`assets/…`); a shared
    // module's chunk keeps its dotted name (`pending.svelte-<hash>.js`).
    for (const m of body.matchAll(/[\w.-]+-[\w-]{8}\.(?:js|css)/g)) queue.push('/dashboard/assets/' + m[0]);
  }
  assert.ok(seen.size >= 3, `the app's chunks were followed (${seen.size})`);
  for (const secret of [server.apiKey, server.anonKey, jwtSecret, server.password]) {
    assert.ok(!served.includes(secret), 'a served file holds a key or secret');
  }
  assert.ok(!/\bik_[0-9a-f]{16}/.test(served), 'no API key shape in the assets');

  const missing = await fetch(server.url + '/dashboard/assets/nope.js');
  assert.equal(missing.status, 404);
  const etag = index.headers.get('etag');
  assert.ok(etag);
  const again = await fetch(server.url + '/dashboard/', { headers: { 'If-None-Match': etag } });
  assert.equal(again.status, 304);

  const page = await newPage(browser, server);
  await page.goto('/dashboard/tables');
  await page.waitForURL(/\/dashboard\/login\?next=%2Ftables/);
  await page.getByLabel('Password').waitFor();
  await shot(page, 'login');
  await page.context().close();
});

test('sign-in: a wrong password is refused; the right one survives a reload; sign-out ends the session', async () => {
  const page = await newPage(browser, server);
  await page.goto('/dashboard/sql');
  await page.getByLabel('Username').fill(server.username);
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Wrong username or password' }).waitFor();

  await page.getByLabel('Password').fill(server.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/dashboard\/sql$/);
  await signedInShell(page);

  await page.reload();
  await signedInShell(page);
  assert.match(page.url(), /\/dashboard\/sql$/, 'a reload keeps the page and the session');
  const cookies = await page.context().cookies();
  const refreshCookie = cookies.find((c) => c.name === 'insforge_admin_refresh_token');
  assert.ok(refreshCookie?.httpOnly, 'the refresh token is an httpOnly cookie');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/dashboard\/login$/);
  // The old refresh cookie no longer works, even with the right CSRF token.
  const csrf = cookies.find((c) => c.name === 'insforge_admin_csrf_token')?.value;
  assert.ok(csrf);
  const res = await fetch(server.url + '/api/auth/admin/refresh', {
    method: 'POST',
    headers: { Cookie: `insforge_admin_refresh_token=${refreshCookie.value}`, 'X-CSRF-Token': decodeURIComponent(csrf) },
  });
  assert.equal(res.status, 401);
  await page.reload();
  await page.getByLabel('Password').waitFor();
  assert.deepEqual(page.errors.filter((e) => !/401|Failed to load resource/.test(e)), []);
  await page.context().close();
});

test('comfort: the theme survives a reload; at 390 px login and the side bar work without sideways scrolling', async () => {
  const page = await newPage(browser, server, { width: 390, height: 844 });
  await page.goto('/dashboard/login');
  await shot(page, 'login-narrow');
  let overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, 'login page scrolls sideways at 390 px');
  await login(page, server);
  await page.getByRole('button', { name: 'Menu' }).click();
  await page.getByLabel('Theme').selectOption('dark');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  await page.reload();
  await signedInShell(page);
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark', 'the theme survives a reload');
  await openSection(page, 'Tables');
  await page.getByRole('heading', { name: 'Tables', exact: true }).waitFor();
  overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, 'the tables page scrolls sideways at 390 px');
  await shot(page, 'tables-narrow-dark');
  await page.context().close();
});
