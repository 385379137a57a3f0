// The "Auth0 + InsForge" guide end to end: oxforge + the guide's migration (applied with the CLI),
// an OIDC provider standing in for Auth0 whose ID tokens carry the claim made by running
// ../auth0/post-login-action.js, the Rust app, and Debian's Chromium driven by playwright-core.
// Screenshots go to e2e/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createClient } from '@insforge/sdk';
import { startProvider, runAction, tamper } from './provider.mjs';
import { startOxforge, applyMigrations, freePort, startApp, EXAMPLE_DIR } from './stack.mjs';

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
const ARTIFACTS = join(EXAMPLE_DIR, 'e2e', 'artifacts');
const AUDIENCE = 'https://todos.example/api';
const HOUR = 3600_000;

let oxforge, provider, app, nativeApp, browser;
const secret = () => ({ INSFORGE_JWT_SECRET: oxforge.jwtSecret });

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const [appPort, nativePort] = [await freePort(), await freePort()];
  const appUrl = `http://127.0.0.1:${appPort}`;
  const nativeUrl = `http://127.0.0.1:${nativePort}`;
  const users = {
    'auth0|alice': { email: 'alice@example.com', name: 'Alice', claim: (u) => runAction(u, secret()) },
    'auth0|bob': { email: 'bob@example.com', name: 'Bob', claim: (u) => runAction(u, secret()) },
    'auth0|carol': { email: 'carol@example.com', name: 'Carol', claim: async () => ({}) },
    // Bad tokens, each produced from the real Action:
    // a forger who re-signed nothing but changed `sub` to Alice's,
    'auth0|mallory': {
      email: 'mallory@example.com',
      claim: async (u) => {
        const claims = await runAction(u, secret());
        for (const k of Object.keys(claims)) claims[k] = tamper(claims[k], { sub: 'auth0|alice' });
        return claims;
      },
    },
    // an Action that ran two hours ago (its 1 h token has expired),
    'auth0|eve': { email: 'eve@example.com', claim: (u) => runAction(u, secret(), { at: Date.now() - 2 * HOUR }) },
    // and a token for another project (another JWT secret).
    'auth0|trent': { email: 'trent@example.com', claim: (u) => runAction(u, { INSFORGE_JWT_SECRET: 'another-tenant-secret-0123456789abcdef' }) },
  };
  provider = await startProvider({
    users,
    audience: AUDIENCE,
    clients: [
      { clientId: 'todos-app', clientSecret: 'todos-app-secret', redirectUris: [`${appUrl}/auth/callback`], postLogoutRedirectUris: [appUrl] },
      { clientId: 'todos-native', clientSecret: 'todos-native-secret', redirectUris: [`${nativeUrl}/auth/callback`], postLogoutRedirectUris: [nativeUrl] },
    ],
  });
  // Native verification of the provider's own access tokens: no shared secret.
  oxforge = await startOxforge({
    env: { OXFORGE_AUTH_PROVIDERS: JSON.stringify([{ preset: 'oidc', issuer: provider.issuer, audiences: [AUDIENCE] }]) },
  });
  const applied = applyMigrations(oxforge);
  assert.match(applied, /create-todos/);
  const common = {
    AUTH0_ISSUER_BASE_URL: provider.issuer,
    INSFORGE_URL: oxforge.url,
    INSFORGE_ANON_KEY: oxforge.anonKey,
  };
  app = await startApp({
    port: appPort,
    env: { ...common, AUTH0_CLIENT_ID: 'todos-app', AUTH0_CLIENT_SECRET: 'todos-app-secret', AUTH0_SECRET: 'e2e-session-secret-0123456789abcdef0123', APP_BASE_URL: appUrl },
  });
  nativeApp = await startApp({
    port: nativePort,
    env: {
      ...common,
      AUTH0_CLIENT_ID: 'todos-native',
      AUTH0_CLIENT_SECRET: 'todos-native-secret',
      AUTH0_SECRET: 'e2e-native-session-secret-0123456789abcdef',
      APP_BASE_URL: nativeUrl,
      INSFORGE_TOKEN_MODE: 'native',
      AUTH0_AUDIENCE: AUDIENCE,
    },
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}, { timeout: 180_000 });

after(async () => {
  await browser?.close();
  await app?.stop();
  await nativeApp?.stop();
  await oxforge?.stop();
  await provider?.stop();
});

/** Every todo in the database, read with the API key (RLS does not apply to project_admin). */
async function allTodos() {
  const res = await fetch(`${oxforge.url}/api/database/records/todos?select=id,user_id,title,is_complete&order=created_at`, {
    headers: { Authorization: `Bearer ${oxforge.apiKey}` },
  });
  assert.equal(res.status, 200);
  return res.json();
}

/** A fresh browser profile, logged in as `login` through the provider's login and consent pages. */
async function logIn(baseUrl, login) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(baseUrl);
  await page.click('#login');
  await page.fill('input[name=login]', login);
  await page.fill('input[name=password]', 'any password');
  await page.click('button[type=submit]');
  // The consent page ("Continue"), shown at a client's first login.
  for (let step = 0; !page.url().startsWith(baseUrl); step++) {
    if (step === 3) throw new Error(`stuck at the provider: ${page.url()}\n${(await page.content()).slice(0, 2000)}`);
    await page.click('button[type=submit]');
    await page.waitForLoadState();
  }
  return { context, page };
}

const titles = (page) => page.locator('li.todo .title').allTextContents();
const item = (page, title) => page.locator('li.todo', { has: page.locator('.title', { hasText: new RegExp(`^${title}$`) }) });

async function add(page, title) {
  await page.fill('#add input[name=title]', title);
  await page.click('#add button');
  await page.waitForURL(/\/todos$/);
}

test('two users, full CRUD in the browser, each sees only their own todos', { timeout: 120_000 }, async () => {
  const alice = await logIn(app.url, 'auth0|alice');
  const a = alice.page;
  assert.equal(await a.textContent('#who'), 'alice@example.com');
  assert.equal(await a.locator('#empty').count(), 1);

  for (const t of ['Buy milk', 'Walk dog', 'Write report']) await add(a, t);
  assert.deepEqual(await titles(a), ['Buy milk', 'Walk dog', 'Write report']);

  await item(a, 'Buy milk').locator('button.toggle').click();
  await a.waitForURL(/\/todos$/);
  assert.match(await item(a, 'Buy milk').getAttribute('class'), /done/);

  await item(a, 'Walk dog').locator('input[name=title]').fill('Walk the dog');
  await item(a, 'Walk dog').locator('button.rename').click();
  await a.waitForURL(/\/todos$/);

  await item(a, 'Write report').locator('button.delete').click();
  await a.waitForURL(/\/todos$/);
  assert.deepEqual(await titles(a), ['Buy milk', 'Walk the dog']);
  assert.equal(await a.textContent('#summary'), '1 open, 1 done');
  await a.screenshot({ path: join(ARTIFACTS, '1-alice.png'), fullPage: true });

  const bob = await logIn(app.url, 'auth0|bob');
  const b = bob.page;
  assert.equal(await b.textContent('#who'), 'bob@example.com');
  assert.deepEqual(await titles(b), [], "Bob sees none of Alice's todos");
  await add(b, "Bob's first todo");
  assert.deepEqual(await titles(b), ["Bob's first todo"]);
  await b.screenshot({ path: join(ARTIFACTS, '2-bob.png'), fullPage: true });

  await a.reload();
  assert.deepEqual(await titles(a), ['Buy milk', 'Walk the dog'], "Alice sees only hers, not Bob's");
  await a.screenshot({ path: join(ARTIFACTS, '3-alice-again.png'), fullPage: true });

  const rows = await allTodos();
  assert.deepEqual(
    rows.map((r) => [r.user_id, r.title, r.is_complete]),
    [
      ['auth0|alice', 'Buy milk', true],
      ['auth0|alice', 'Walk the dog', false],
      ['auth0|bob', "Bob's first todo", false],
    ],
  );

  // Log out: the app forgets the session and sends the browser through the provider's logout.
  await a.click('#logout');
  await a.click('button[name=logout]');
  await a.waitForURL(`${app.url}/`);
  assert.equal(await a.locator('#login').count(), 1);
  await a.goto(`${app.url}/todos`);
  assert.equal(new URL(a.url()).pathname, '/', 'signed out: /todos sends you to the start page');
  await alice.context.close();
  await bob.context.close();
});

test('forged form posts are refused with a clear page and touch no data', { timeout: 120_000 }, async () => {
  const { context, page } = await logIn(app.url, 'auth0|bob');
  const csrf = await page.getAttribute('#add input[name=csrf]', 'value');
  const before = await allTodos();
  const aliceTodo = before.find((r) => r.user_id === 'auth0|alice');
  const post = (path, form) => page.request.post(`${app.url}${path}`, { form, maxRedirects: 0 });

  // A forged owner: the form takes exactly its fields.
  let res = await post('/todos', { csrf, title: 'planted', user_id: 'auth0|alice' });
  assert.equal(res.status(), 400);
  assert.match(await res.text(), /unknown field `user_id`/);

  // Another user's todo id: RLS hides it, so nothing matches.
  for (const [path, form] of [
    [`/todos/${aliceTodo.id}/toggle`, { csrf, is_complete: 'false' }],
    [`/todos/${aliceTodo.id}/rename`, { csrf, title: 'hijacked' }],
    [`/todos/${aliceTodo.id}/delete`, { csrf }],
  ]) {
    res = await post(path, form);
    assert.equal(res.status(), 404, path);
    assert.match(await res.text(), /No such todo in your list/);
  }
  // Not an id at all, and a form without (or with another session's) CSRF token.
  res = await post("/todos/1'%20or%20'1'='1/delete", { csrf });
  assert.equal(res.status(), 400);
  res = await post('/todos', { csrf: 'not-the-token', title: 'csrf' });
  assert.equal(res.status(), 400);
  assert.match(await res.text(), /did not come from this app/);

  assert.deepEqual(await allTodos(), before, 'no data touched');
  await context.close();
});

test('a tampered, expired or foreign Action token gets an error page, and no data is touched', { timeout: 120_000 }, async () => {
  const before = await allTodos();
  for (const [login, shot] of [['auth0|mallory', '4-tampered'], ['auth0|eve', '5-expired'], ['auth0|trent', '6-other-tenant']]) {
    const { context, page } = await logIn(app.url, login);
    assert.equal(await page.textContent('h1'), 'Your session is not valid any more', login);
    assert.match(await page.textContent('#error-message'), /AUTH_UNAUTHORIZED/);
    await page.screenshot({ path: join(ARTIFACTS, `${shot}.png`) });
    // The refused session is forgotten: the next visit starts over.
    await page.goto(`${app.url}/todos`);
    assert.equal(new URL(page.url()).pathname, '/');
    const res = await page.request.post(`${app.url}/todos`, { form: { csrf: 'x', title: 'sneaky' }, maxRedirects: 0 });
    assert.equal(res.status(), 303, 'no session, no write: back to the start page');
    await context.close();
  }
  // A session cookie altered in the browser does not decrypt: not signed in.
  const { context, page } = await logIn(app.url, 'auth0|bob');
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === 'todos_session');
  await context.addCookies([{ ...session, value: session.value.slice(0, -4) + 'AAAA' }]);
  await page.goto(`${app.url}/todos`);
  assert.equal(new URL(page.url()).pathname, '/');
  await context.close();
  assert.deepEqual(await allTodos(), before);
});

test('native mode: the provider access token itself, verified by oxforge with the provider keys', { timeout: 120_000 }, async () => {
  const { context, page } = await logIn(nativeApp.url, 'auth0|carol');
  assert.equal(await page.textContent('#who'), 'carol@example.com');
  assert.deepEqual(await titles(page), [], 'Carol sees nobody else');
  await add(page, 'Native todo');
  await item(page, 'Native todo').locator('button.toggle').click();
  await page.waitForURL(/\/todos$/);
  assert.deepEqual(await titles(page), ['Native todo']);
  await page.screenshot({ path: join(ARTIFACTS, '7-native-carol.png'), fullPage: true });
  const carols = (await allTodos()).filter((r) => r.user_id === 'auth0|carol');
  assert.deepEqual(carols.map((r) => [r.title, r.is_complete]), [['Native todo', true]]);
  await context.close();
});

test("the same flow through the real @insforge/sdk with the Action's token as edgeFunctionToken", { timeout: 120_000 }, async () => {
  const tokenFor = async (id, email) => (await runAction({ id, email }, secret()))['https://insforge.dev/insforge_token'];
  const alice = createClient({ baseUrl: oxforge.url, anonKey: oxforge.anonKey, edgeFunctionToken: await tokenFor('auth0|alice', 'alice@example.com') });
  const dave = createClient({ baseUrl: oxforge.url, anonKey: oxforge.anonKey, edgeFunctionToken: await tokenFor('auth0|dave', 'dave@example.com') });

  let { data, error } = await alice.database.from('todos').select('title, is_complete').order('created_at');
  assert.equal(error, null);
  assert.deepEqual(data.map((t) => t.title), ['Buy milk', 'Walk the dog'], 'the browser-made todos, and only Alice’s');

  ({ data, error } = await dave.database.from('todos').insert([{ title: 'SDK todo' }]).select());
  assert.equal(error, null);
  const [created] = data;
  assert.equal(created.user_id, 'auth0|dave');
  ({ data, error } = await dave.database.from('todos').update({ is_complete: true }).eq('id', created.id).select());
  assert.equal(error, null);
  assert.equal(data[0].is_complete, true);
  // Alice can neither see nor change Dave's todo.
  ({ data } = await alice.database.from('todos').update({ title: 'mine now' }).eq('id', created.id).select());
  assert.deepEqual(data, []);
  ({ data } = await alice.database.from('todos').select('id').eq('id', created.id));
  assert.deepEqual(data, []);
  ({ error } = await dave.database.from('todos').delete().eq('id', created.id));
  assert.equal(error, null);
  assert.equal((await allTodos()).some((r) => r.id === created.id), false);
});
