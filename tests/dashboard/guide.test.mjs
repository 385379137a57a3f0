// The "done when", end to end: the Auth0 guide's setup done from the browser only.
// Copy the URL, the anon key and the JWT secret from Connect; create `todos` with the guide's
// owner column in the table form; add the owner policy from its template; then users signed in
// the guide's way (HS256 tokens signed with the copied secret) use the copied values with
// @insforge/sdk, and the grid shows their rows as RLS lets each one see them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import jwt from 'jsonwebtoken';
import { createClient } from '@insforge/sdk';
import { useOxforge, newPage, login, shot, openSection, copied } from './harness.mjs';

let server, browser, page;
const exact = { exact: true };

useOxforge(async (s, b) => {
  [server, browser] = [s, b];
  page = await newPage(browser, server, { permissions: ['clipboard-read', 'clipboard-write'] });
});

test("the Auth0 guide's setup, from the dashboard only", async () => {
  // Sign in with the credentials the summary printed, at the URL it printed.
  assert.equal(server.dashboardUrl, `${server.url}/dashboard/login`);
  await login(page, server);

  // 1. Connect: the three values the guide asks for.
  const baseUrl = await copied(page, 'Copy Project URL');
  const anonKey = await copied(page, 'Copy Anon key');
  const jwtSecret = await copied(page, 'Copy JWT secret');
  assert.equal(baseUrl, server.url);
  assert.equal(anonKey, server.anonKey);
  assert.equal(jwtSecret, (await server.api('/api/secrets/JWT_SECRET')).value);

  // 2. Tables → New table: todos, its owner a text column filled from the token's subject.
  await openSection(page, 'Tables');
  await page.getByRole('button', { name: 'New table' }).click();
  const form = page.getByRole('dialog', { name: 'New table' });
  await form.getByLabel('Table name', exact).fill('todos');
  await form.getByLabel('Column 1 name', exact).fill('title');
  await form.getByLabel('Column 1 type', exact).selectOption('string');
  await form.getByLabel('Column 1 nullable', exact).setChecked(false);
  await form.getByRole('button', { name: 'Add column' }).click();
  await form.getByLabel('Column 2 name', exact).fill('is_complete');
  await form.getByLabel('Column 2 type', exact).selectOption('boolean');
  await form.getByLabel('Column 2 default', exact).fill('false');
  await form.getByRole('button', { name: 'Add column' }).click();
  await form.getByLabel('Column 3 name', exact).fill('user_id');
  await form.getByLabel('Column 3 type', exact).selectOption('string');
  await form.getByLabel('Column 3 default', exact).fill("(auth.jwt() ->> 'sub')");
  assert.equal(await form.getByRole('checkbox', { name: /Row Level Security/ }).isChecked(), true);
  await form.getByRole('button', { name: 'Create table' }).click();
  await form.waitFor({ state: 'detached' });
  const schema = await server.api('/api/database/tables/todos/schema');
  assert.equal(schema.rlsEnabled, true);
  assert.equal(schema.columns.find((c) => c.columnName === 'user_id').defaultValue, "(auth.jwt() ->> 'sub'::text)");

  // 3. RLS policies → the owner template on user_id.
  await openSection(page, 'RLS policies');
  await page.getByRole('button', { name: 'New policy', exact: true }).first().click();
  const policy = page.getByRole('dialog', { name: 'New policy' });
  await policy.getByLabel('Policy table').selectOption('todos');
  await policy.getByRole('button', { name: 'Owners read and write their own rows' }).click();
  await policy.getByLabel('Owner column').selectOption('user_id');
  await policy.getByLabel('Generated SQL').filter({ hasText: `"user_id" = (auth.jwt() ->> 'sub')` }).waitFor();
  await shot(page, 'guide-policy');
  await policy.getByRole('button', { name: 'Run' }).click();
  await policy.waitFor({ state: 'detached' });
  const policies = (await server.api('/api/database/policies')).policies.filter((p) => p.tablename === 'todos');
  assert.equal(policies.length, 1);

  // 4. The guide's users: tokens as the Auth0 Action signs them, with the copied secret, and the
  //    copied URL and anon key in the SDK.
  const sign = (sub) =>
    jwt.sign({ sub, role: 'authenticated', aud: 'insforge-api', email: `${sub.split('|')[1]}@example.com` }, jwtSecret, { expiresIn: '1h' });
  const alice = createClient({ baseUrl, anonKey, edgeFunctionToken: sign('auth0|alice') }).database;
  const bob = createClient({ baseUrl, anonKey, edgeFunctionToken: sign('auth0|bob') }).database;
  const anon = createClient({ baseUrl, anonKey }).database;
  let r = await alice.from('todos').insert([{ title: 'buy milk' }]).select();
  assert.equal(r.error, null, JSON.stringify(r.error));
  assert.equal(r.data[0].user_id, 'auth0|alice', 'the owner comes from the token');
  r = await bob.from('todos').insert([{ title: "bob's errand" }]).select();
  assert.equal(r.error, null, JSON.stringify(r.error));
  r = await alice.from('todos').select('title, user_id');
  assert.deepEqual(r.data, [{ title: 'buy milk', user_id: 'auth0|alice' }], 'alice sees only hers');
  r = await alice.from('todos').update({ title: 'stolen' }).eq('user_id', 'auth0|bob').select();
  assert.deepEqual(r.data, [], "alice cannot change bob's");
  r = await anon.from('todos').select('*');
  assert.deepEqual(r.data, [], 'anon sees none');

  // 5. The grid: the admin sees both rows; "view as" alice only hers; anon none.
  await openSection(page, 'Tables');
  await page.getByRole('region', { name: 'Tables' }).getByRole('link', { name: 'todos', exact: true }).click();
  const rows = page.getByRole('region', { name: 'Rows of todos' });
  await rows.getByText("bob's errand").waitFor();
  await rows.getByText('buy milk').waitFor();
  await shot(page, 'guide-grid-admin');
  await rows.getByLabel('View as role').selectOption('user');
  await rows.getByLabel('User email or subject').fill('auth0|alice');
  await rows.getByRole('button', { name: 'Use as sub' }).click();
  await rows.getByRole('status').filter({ hasText: 'Viewing as auth0|alice' }).waitFor();
  await rows.getByText("bob's errand").waitFor({ state: 'detached' });
  await rows.getByText('1–1').waitFor();
  assert.equal(await rows.getByText('buy milk').count(), 1, 'view as alice shows hers');
  await shot(page, 'guide-grid-as-alice');
  await rows.getByLabel('View as role').selectOption('anon');
  await rows.getByRole('status').filter({ hasText: 'Viewing as anon' }).waitFor();
  await rows.getByText('buy milk').waitFor({ state: 'detached' });
  assert.equal(await rows.getByText("bob's errand").count(), 0);
  await rows.getByLabel('View as role').selectOption('admin');
  await rows.getByText("bob's errand").waitFor();
  assert.deepEqual(page.errors.filter((e) => !/Failed to load resource/.test(e)), []);
});
