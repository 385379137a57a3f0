// RLS policies: the owner template on todos (scenario 8) with the SQL shown before running,
// the RLS switch it offers, proof with signed user tokens through the data API, the other
// templates, dropping with confirmation, quoted names, and the narrow dark layout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { startOxforge, launch, newPage, login, shot, openSection } from './harness.mjs';

let server, browser, page, secret;
before(async () => {
  server = await startOxforge();
  browser = await launch();
  secret = (await server.api('/api/secrets/JWT_SECRET')).value;
  await server.api('/api/database/tables', {
    method: 'POST',
    body: {
      tableName: 'todos',
      columns: [
        { columnName: 'title', type: 'string' },
        { columnName: 'done', type: 'boolean', defaultValue: 'false' },
        { columnName: 'user_id', type: 'uuid', defaultValue: 'auth.uid()' },
      ],
      rlsEnabled: false,
    },
  });
  page = await newPage(browser, server);
  await login(page, server);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const policies = async () => (await server.api('/api/database/policies')).policies;
const rlsOf = (t) => server.sql(`SELECT relrowsecurity FROM pg_class WHERE oid = '"public".${`"${t}"`.replaceAll("'", "''")}'::regclass`);
const token = (sub) => jwt.sign({ sub, role: 'authenticated', aud: 'insforge-api' }, secret, { expiresIn: '1h' });
async function records(table, bearer, init = {}, query = '') {
  const res = await fetch(`${server.url}/api/database/records/${encodeURIComponent(table)}${query}`, {
    ...init,
    headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json', Prefer: 'return=representation', ...(init.headers ?? {}) },
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}
/** The clause `USING (…)` or `WITH CHECK (…)` of the shown SQL, as PostgreSQL prints it back (no quotes on plain names). */
function clause(shown, keyword) {
  const m = shown.match(new RegExp(`^\\s*${keyword} \\((.*)\\);?$`, 'm'));
  return m && `(${m[1].replaceAll('"', '')})`;
}

test('scenario 8: the owner template on todos shows its SQL, enables RLS, and creates exactly that policy', async () => {
  assert.equal(rlsOf('todos'), 'f', 'fixture: RLS starts off');
  // From the structure tab's link, filtered to todos.
  await page.goto('/dashboard/tables?table=todos&tab=structure');
  await page.getByRole('link', { name: /manage policies/ }).click();
  await page.waitForURL(/\/dashboard\/policies\?table=todos$/);
  const card = page.getByRole('region', { name: 'Policies of todos' });
  await card.getByTestId('rls-status').filter({ hasText: 'RLS off' }).waitFor();

  await card.getByRole('button', { name: 'New policy on todos' }).click();
  const form = page.getByRole('dialog', { name: 'New policy' });
  await form.getByRole('button', { name: 'Owners read and write their own rows' }).click();
  assert.equal(await form.getByLabel('Owner column').inputValue(), 'user_id', 'the owner column is guessed');
  const enable = form.getByRole('checkbox', { name: /Row Level Security is off on todos/ });
  assert.equal(await enable.isChecked(), true, 'the template offers to enable RLS');
  const sql = form.getByLabel('Generated SQL');
  await sql.filter({ hasText: 'auth.uid()' }).waitFor();
  const shown = await sql.innerText();
  assert.equal(
    shown,
    [
      'ALTER TABLE "public"."todos" ENABLE ROW LEVEL SECURITY;',
      'CREATE POLICY "Owners read and write their own rows" ON "public"."todos"',
      '  AS PERMISSIVE',
      '  FOR ALL',
      '  TO "authenticated"',
      '  USING ("user_id" = auth.uid())',
      '  WITH CHECK ("user_id" = auth.uid());',
    ].join('\n'),
  );
  await shot(page, 'policies-owner-form');
  await form.getByRole('button', { name: 'Run' }).click();
  await form.waitFor({ state: 'detached' });

  const [p, ...rest] = (await policies()).filter((x) => x.tablename === 'todos');
  assert.equal(rest.length, 0);
  assert.equal(p.policyname, 'Owners read and write their own rows');
  assert.equal(p.cmd, 'ALL');
  assert.deepEqual(p.roles, ['authenticated']);
  assert.equal(p.qual, clause(shown, 'USING'), 'USING as shown');
  assert.equal(p.with_check, clause(shown, 'WITH CHECK'), 'WITH CHECK as shown');
  assert.equal(rlsOf('todos'), 't', 'RLS was enabled with it');
  await card.getByTestId('rls-status').filter({ hasText: 'RLS on' }).waitFor();
  await card.locator(`tr[data-policy="${p.policyname}"]`).filter({ hasText: 'user_id = auth.uid()' }).waitFor();
  await shot(page, 'policies-todos');
});

test('the policy works: each signed user sees and writes only their own rows; anon sees none', async () => {
  const alice = randomUUID();
  const bob = randomUUID();
  server.sql(`INSERT INTO public.todos (title, user_id) VALUES ('alice 1', '${alice}'), ('alice 2', '${alice}'), ('bob 1', '${bob}')`);
  const a = await records('todos', token(alice), {}, '?order=title');
  assert.equal(a.status, 200);
  assert.deepEqual(a.body.map((r) => r.title), ['alice 1', 'alice 2']);
  const b = await records('todos', token(bob));
  assert.deepEqual(b.body.map((r) => r.title), ['bob 1']);
  const anon = await records('todos', server.anonKey);
  assert.deepEqual(anon.body, []);

  // Inserts: user_id defaults to auth.uid(); a row for someone else fails WITH CHECK.
  const mine = await records('todos', token(alice), { method: 'POST', body: JSON.stringify([{ title: 'alice 3' }]) });
  assert.equal(mine.status, 201, JSON.stringify(mine.body));
  assert.equal(mine.body[0].user_id, alice);
  const theirs = await records('todos', token(alice), { method: 'POST', body: JSON.stringify([{ title: 'forged', user_id: bob }]) });
  assert.ok(theirs.status >= 400, `a row for bob was accepted: ${theirs.status}`);
  assert.equal(server.sql(`SELECT count(*) FROM public.todos WHERE user_id = '${bob}'`), '1');
});

test('the other templates; dropping asks first; a policy on a table with quoted names', async () => {
  await page.getByLabel('Table', { exact: true }).selectOption('');
  await page.waitForURL(/\/dashboard\/policies$/);
  await page.getByRole('button', { name: 'New policy', exact: true }).click();
  const form = page.getByRole('dialog', { name: 'New policy' });
  await form.getByLabel('Policy table').selectOption('todos');
  await form.getByRole('button', { name: 'Public read' }).click();
  let shown = await form.getByLabel('Generated SQL').innerText();
  assert.equal(shown, 'CREATE POLICY "Public read" ON "public"."todos"\n  AS PERMISSIVE\n  FOR SELECT\n  TO "authenticated", "anon"\n  USING (true);');
  assert.equal(await form.getByLabel('WITH CHECK expression').count(), 0, 'SELECT takes no WITH CHECK');
  await form.getByRole('button', { name: 'Run' }).click();
  await form.waitFor({ state: 'detached' });
  let p = (await policies()).find((x) => x.policyname === 'Public read');
  assert.equal(p?.cmd, 'SELECT');
  assert.deepEqual([...p.roles].sort(), ['anon', 'authenticated']);
  assert.equal(p.qual, 'true');
  assert.equal((await records('todos', server.anonKey)).body.length, 4, 'anon now reads every row');

  await page.getByRole('button', { name: 'New policy on todos' }).click();
  await form.getByRole('button', { name: 'Authenticated insert' }).click();
  shown = await form.getByLabel('Generated SQL').innerText();
  assert.match(shown, /FOR INSERT\n {2}TO "authenticated"\n {2}WITH CHECK \(true\);$/);
  assert.equal(await form.getByLabel('USING expression').count(), 0, 'INSERT takes no USING');
  // A name already taken: the server's message shows in the form.
  await form.getByLabel('Policy name').fill('Public read');
  await form.getByRole('button', { name: 'Run' }).click();
  await form.getByRole('alert').filter({ hasText: 'already exists' }).waitFor();
  await form.getByLabel('Policy name').fill('Authenticated insert');
  await form.getByRole('button', { name: 'Run' }).click();
  await form.waitFor({ state: 'detached' });
  p = (await policies()).find((x) => x.policyname === 'Authenticated insert');
  assert.equal(p?.cmd, 'INSERT');
  assert.equal(p.with_check, 'true');

  // Drop "Public read": cancel keeps it, confirm drops it.
  await page.getByRole('button', { name: 'Drop policy Public read' }).click();
  const confirm = page.getByRole('dialog', { name: 'Drop policy Public read?' });
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  assert.ok((await policies()).some((x) => x.policyname === 'Public read'));
  await page.getByRole('button', { name: 'Drop policy Public read' }).click();
  await confirm.getByRole('button', { name: 'Drop policy' }).click();
  await page.locator('tr[data-policy="Public read"]').waitFor({ state: 'detached' });
  assert.ok(!(await policies()).some((x) => x.policyname === 'Public read'));
  assert.deepEqual((await records('todos', server.anonKey)).body, [], 'anon reads nothing again');

  // Names that need quoting, and an owner column of type text (a third-party subject).
  const table = "Bob's \"Notes\"".replaceAll('"', ''); // the API refuses double quotes in names
  await server.api('/api/database/tables', {
    method: 'POST',
    body: { tableName: table, columns: [{ columnName: 'Owner Sub', type: 'string' }, { columnName: 'Body', type: 'string' }] },
  });
  await page.reload();
  await page.getByRole('button', { name: `New policy on ${table}` }).click();
  await form.getByRole('button', { name: 'Owners read and write their own rows' }).click();
  await form.getByLabel('Owner column').selectOption('Owner Sub');
  await form.getByLabel('Policy name').fill("Owner's rows");
  shown = await form.getByLabel('Generated SQL').innerText();
  assert.match(shown, /^CREATE POLICY "Owner's rows" ON "public"\."Bob's Notes"$/m);
  assert.match(shown, /^ {2}USING \("Owner Sub" = \(auth\.jwt\(\) ->> 'sub'\)\)$/m);
  await shot(page, 'policies-quoted-form');
  await form.getByRole('button', { name: 'Run' }).click();
  await form.waitFor({ state: 'detached' });
  p = (await policies()).find((x) => x.tablename === table);
  assert.equal(p?.policyname, "Owner's rows");
  assert.equal(p.qual, `("Owner Sub" = (auth.jwt() ->> 'sub'::text))`);
  server.sql(`INSERT INTO public."Bob's Notes" ("Owner Sub", "Body") VALUES ('auth0|bob', 'b'), ('auth0|eve', 'e')`);
  const bobs = await records(table, token('auth0|bob'));
  assert.deepEqual(bobs.body.map((r) => r.Body), ['b']);
  assert.deepEqual(page.errors.filter((e) => !/Failed to load resource/.test(e)), []);
});

test('at 390 px in dark theme the policies page and form fit without sideways scrolling', async () => {
  const narrow = await newPage(browser, server, { width: 390, height: 844 });
  await narrow.emulateMedia({ colorScheme: 'dark' });
  await login(narrow, server);
  await openSection(narrow, 'RLS policies');
  await narrow.getByRole('region', { name: 'Policies of todos' }).waitFor();
  const overflow = () => narrow.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(await overflow(), 0, 'policies page scrolls sideways');
  await shot(narrow, 'policies-narrow-dark');
  await narrow.getByRole('button', { name: 'New policy on todos' }).click();
  await narrow.getByRole('button', { name: 'Owners read and write their own rows', exact: true }).click();
  assert.equal(await overflow(), 0, 'policy form scrolls sideways');
  await shot(narrow, 'policies-form-narrow-dark');
  await narrow.context().close();
});
