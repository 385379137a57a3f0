// The SQL editor (scenario 7) and "view as" through it (scenario 10): runs with Ctrl+Enter,
// errors placed in the text, confirmation before destructive statements, Explain refusing
// writes, running the selection, tabs and history across a reload; the Auth0 guide's table seen
// as the admin, as a user (auth0|alice) and as anon. Every outcome is checked in the database.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { useOxforge, newPage, login, shot, openSection, signedInShell } from './harness.mjs';
import { GUIDE_SQL } from '../sdk/harness.mjs';

let server, browser;
useOxforge((s, b) => ([server, browser] = [s, b]));

const count = (table = 'todos') => Number(server.sql(`select count(*) from ${table}`));

function editorOf(page) {
  return page.getByRole('textbox', { name: 'SQL query' });
}

/** Replaces the editor's text, as typing would. */
async function write(page, text) {
  const ed = editorOf(page);
  await ed.click();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
  await page.keyboard.press('Escape'); // closes a completion list if one opened
}

function status(page) {
  return page.locator('.result [role="status"]');
}

/** The result grid's cells, row by row. */
async function cells(page) {
  return page.locator('table[aria-label="Result rows"] tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
}

const runsOf = (page) => page.locator('.sql-page').getAttribute('data-runs').then(Number);

/** Waits until a run started after `before` finished. */
async function settled(page, before) {
  await page.waitForFunction((n) => Number(document.querySelector('.sql-page')?.dataset.runs) > n, before);
}

/** Runs with Ctrl+Enter and waits for its answer. */
async function runKeys(page) {
  const before = await runsOf(page);
  await editorOf(page).press('Control+Enter');
  await settled(page, before);
}

test('scenario 7: run, errors with their place, confirmation, explain, selection, tabs and history', async () => {
  server.sql(`create table todos (id serial primary key, title text not null); insert into todos (title) values ('first');`);
  const page = await newPage(browser, server, { permissions: ['clipboard-read', 'clipboard-write'] });
  await login(page, server);
  await openSection(page, 'SQL editor');
  await editorOf(page).waitFor();

  // Completion knows the tables and their columns.
  await write(page, 'select * from ');
  await page.keyboard.type('tod');
  const completions = page.getByRole('listbox');
  await completions.getByRole('option', { name: /^todos/ }).waitFor();
  await page.keyboard.press('Escape');
  await write(page, 'select ');
  await page.keyboard.type('todos.');
  await completions.getByRole('option', { name: /^title/ }).waitFor();
  await page.keyboard.press('Escape');

  // Ctrl+Enter runs the whole script.
  await write(page, 'select count(*) as n from todos');
  await runKeys(page);
  await status(page).filter({ hasText: '1 row' }).waitFor();
  assert.deepEqual(await cells(page), [[String(count())]]);
  assert.equal(count(), 1);
  await shot(page, 'sql-count');

  // Export: CSV and JSON of what ran, as the database has it.
  server.sql(`insert into todos (title) values ('with, comma and "quotes"')`);
  await write(page, 'select id, title from todos order by id');
  await runKeys(page);
  await status(page).filter({ hasText: '2 rows' }).waitFor();
  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  const db = server.sql(`select id || '|' || title from todos order by id`).split('\n').map((l) => l.split('|'));
  assert.equal(readFileSync(await csv.path(), 'utf8'), `id,title\n${db.map(([id, t]) => `${id},${/[,"]/.test(t) ? `"${t.replaceAll('"', '""')}"` : t}`).join('\n')}\n`);
  const [json] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export JSON' }).click()]);
  assert.deepEqual(JSON.parse(readFileSync(await json.path(), 'utf8')), db.map(([id, title]) => ({ id: Number(id), title })));
  await page.getByRole('button', { name: 'Copy', exact: true }).click();
  await page.getByText('The rows copied to the clipboard').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `id\ttitle\n${db.map((r) => r.join('\t')).join('\n')}`);
  server.sql(`delete from todos where title like 'with,%'`);

  // At most 1,000 rows are shown; the count is the real one.
  await write(page, 'select n, md5(n::text) as h from generate_series(1, 1500) n');
  await runKeys(page);
  await status(page).filter({ hasText: '1500 rows' }).waitFor();
  await page.getByText('showing the first 1000').waitFor();
  assert.equal(await page.locator('table[aria-label="Result rows"] tbody tr').count(), 1000);

  // A syntax error: the server's message, and the place it points to.
  await write(page, 'select count(*)\nfrom todos\nwher id = 1');
  await runKeys(page);
  const alert = page.getByRole('alert').filter({ hasText: 'syntax error' });
  await alert.waitFor();
  assert.match(await alert.textContent(), /syntax error at or near "id"/);
  assert.match(await alert.textContent(), /line 3, column 6/);
  assert.equal(await page.locator('.cm-sql-error').textContent(), 'id', 'the offending token is marked in the editor');
  await shot(page, 'sql-syntax-error');
  // In a selection, the place is still counted in the whole text.
  await write(page, 'select 1;\n  select nope from todos;');
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Shift+Home');
  await runKeys(page);
  await page.getByRole('alert').filter({ hasText: 'nope' }).waitFor();
  assert.match(await page.getByRole('alert').textContent(), /line 2, column 10/);
  assert.equal(await page.locator('.cm-sql-error').textContent(), 'nope');

  // DELETE without WHERE asks first: cancel keeps the row, confirm deletes it.
  await write(page, 'delete from todos');
  await editorOf(page).press('Control+Enter');
  const dialog = page.getByRole('dialog', { name: 'Run destructive SQL?' });
  await dialog.waitFor();
  assert.match(await dialog.textContent(), /DELETE without WHERE: delete from todos/);
  await shot(page, 'sql-confirm');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  assert.equal(count(), 1, 'cancel ran nothing');
  let before = await runsOf(page);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await dialog.getByRole('button', { name: 'Run anyway' }).click();
  await settled(page, before);
  await status(page).filter({ hasText: '1 row' }).waitFor();
  assert.equal(count(), 0, 'confirmed: the row is gone');
  server.sql(`insert into todos (title) values ('again')`);

  // The tokenizer: what is and is not destructive (strings, comments and WHERE in sub-queries).
  const harmless = [
    `select 'drop table todos' as t`,
    `/* truncate todos; */ select 1 as one`,
    `select $$ delete from todos $$ as s -- drop table todos`,
    `delete from todos where false`,
    `update todos set title = title where id = -1`,
    `select "drop" from (select 1 as "drop") x`,
  ];
  for (const q of harmless) {
    await write(page, q);
    await runKeys(page);
    assert.equal(await dialog.count(), 0, `no confirmation for: ${q}`);
    assert.equal(await page.locator('.sql-error').count(), 0, `ran: ${q}`);
  }
  const destructive = [
    ['drop table nope', 'DROP'],
    ['TRUNCATE todos', 'TRUNCATE'],
    [`update todos set title = 'x'`, 'UPDATE without WHERE'],
    [`update todos set title = (select title from todos where id = 1)`, 'UPDATE without WHERE'],
    ['alter table todos drop column title', 'ALTER … DROP'],
    ['select 1; delete from todos -- where id = 1', 'DELETE without WHERE'],
    ['with x as (select 1) delete from todos', 'DELETE without WHERE'],
  ];
  for (const [q, why] of destructive) {
    await write(page, q);
    await editorOf(page).press('Control+Enter');
    await dialog.waitFor();
    assert.match(await dialog.textContent(), new RegExp(why), q);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
  }
  assert.equal(count(), 1, 'nothing destructive ran');
  assert.equal(server.sql(`select title from todos`), 'again');

  // Explain: a plan for a read; a write is refused with the server's message, and not run.
  await write(page, 'select * from todos where id = 1');
  before = await runsOf(page);
  await page.getByRole('button', { name: 'Explain' }).click();
  await settled(page, before);
  await page.getByRole('list', { name: 'Plan tree' }).waitFor();
  assert.match(await page.getByRole('list', { name: 'Plan tree' }).textContent(), /Scan/);
  await shot(page, 'sql-explain');
  await write(page, `insert into todos (title) values ('explained')`);
  before = await runsOf(page);
  await page.getByRole('button', { name: 'Explain' }).click();
  await settled(page, before);
  const refused = page.getByRole('alert').filter({ hasText: 'Explain refused' });
  await refused.waitFor();
  let serverMessage;
  try {
    await server.api('/api/database/advance/rawsql', { method: 'POST', body: { query: `insert into todos (title) values ('explained')`, explain: true } });
  } catch (e) {
    serverMessage = JSON.parse(e.message.slice(e.message.indexOf('{'))).message;
  }
  assert.ok(serverMessage, 'the server refuses to explain a write');
  assert.ok((await refused.textContent()).includes(serverMessage), 'the page shows the server message');
  assert.equal(count(), 1, 'explain ran nothing');

  // Only the selection runs.
  await write(page, `select 'first' as a;\nselect 'second' as b;`);
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Shift+Home');
  await runKeys(page);
  await page.locator('table[aria-label="Result rows"] th', { hasText: 'b' }).waitFor();
  assert.deepEqual(await cells(page), [['second']]);
  assert.equal(await page.locator('table[aria-label="Result rows"] th').count(), 1);

  // Tabs and history survive a reload.
  await page.getByRole('button', { name: 'New tab' }).click();
  await page.getByRole('button', { name: /Rename tab/ }).click();
  await page.getByLabel('Tab name').fill('Counts');
  await page.getByLabel('Tab name').press('Enter');
  await write(page, 'select count(*) as total from todos');
  await runKeys(page);
  await status(page).filter({ hasText: '1 row' }).waitFor();
  await page.reload();
  await signedInShell(page);
  await editorOf(page).waitFor();
  assert.equal(await page.getByRole('tab').count(), 2);
  assert.equal(await page.getByRole('tab', { name: 'Counts' }).getAttribute('aria-selected'), 'true');
  assert.equal(await editorOf(page).textContent(), 'select count(*) as total from todos');
  await page.getByRole('tab', { name: 'Query 1' }).click();
  assert.match(await editorOf(page).textContent(), /select 'second' as b;/);
  const history = page.getByRole('region', { name: 'History' });
  assert.ok((await history.getByRole('button').allTextContents()).some((t) => t.includes('select count(*) as n from todos')), 'history kept the first run');
  await history.getByRole('button', { name: /select count\(\*\) as n from todos/ }).click();
  assert.equal(await editorOf(page).textContent(), 'select count(*) as n from todos');
  await runKeys(page);
  assert.deepEqual(await cells(page), [['1']]);
  await shot(page, 'sql-tabs-history');

  // Nothing secret in localStorage.
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }));
  for (const secret of [server.apiKey, server.anonKey, server.password]) assert.ok(!stored.includes(secret));
  assert.deepEqual(page.errors.filter((e) => !/Failed to load resource/.test(e)), []);
  await page.context().close();
  server.sql('drop table todos');
});

test('scenario 10: the Auth0 guide table as the admin, as auth0|alice and as anon', async () => {
  server.sql(GUIDE_SQL);
  server.sql(`insert into public.todos (user_id, title) values ('auth0|alice', 'alice todo'), ('auth0|bob', 'bob todo')`);
  const page = await newPage(browser, server);
  await login(page, server);
  await openSection(page, 'SQL editor');
  await editorOf(page).waitFor();
  const query = 'select user_id, title from todos order by user_id';

  // The admin bypasses RLS: both rows.
  await write(page, query);
  await runKeys(page);
  await status(page).filter({ hasText: '2 rows' }).waitFor();
  assert.deepEqual(await cells(page), [['auth0|alice', 'alice todo'], ['auth0|bob', 'bob todo']]);

  // As auth0|alice: only hers.
  await page.getByLabel('View as role').selectOption('user');
  await page.getByLabel('User email or subject').fill('auth0|alice');
  await page.getByRole('button', { name: 'Use as sub' }).click();
  const banner = page.getByRole('note', { name: 'Viewing as' });
  await banner.filter({ hasText: 'auth0|alice' }).waitFor();
  await editorOf(page).click();
  await runKeys(page);
  await status(page).filter({ hasText: '1 row' }).waitFor();
  assert.deepEqual(await cells(page), [['auth0|alice', 'alice todo']]);
  const api = await server.api('/api/oxforge/sql/as', { method: 'POST', body: { query, role: 'authenticated', sub: 'auth0|alice' } });
  assert.deepEqual(api.rows, [{ user_id: 'auth0|alice', title: 'alice todo' }], 'the API agrees');
  await shot(page, 'sql-view-as-alice');

  // Her write is rolled back unless "Commit writes" is on.
  await write(page, `insert into todos (title) values ('from the editor') returning user_id`);
  await runKeys(page);
  await status(page).filter({ hasText: '1 row' }).waitFor();
  assert.deepEqual(await cells(page), [['auth0|alice']]);
  assert.equal(count(), 2, 'rolled back');
  await banner.getByLabel('Commit writes').check();
  await runKeys(page);
  await status(page).filter({ hasText: '1 row' }).waitFor();
  assert.equal(Number(server.sql(`select count(*) from todos where user_id = 'auth0|alice'`)), 2, 'committed, under her sub');
  await banner.getByLabel('Commit writes').uncheck();

  // Anon: none.
  await page.getByLabel('View as role').selectOption('anon');
  await banner.filter({ hasText: 'anon' }).waitFor();
  await write(page, query);
  await runKeys(page);
  await status(page).filter({ hasText: '0 rows' }).waitFor();
  assert.deepEqual(await cells(page), []);

  // A user found by email: their id and email are the claims.
  const signedUp = await server.api('/api/auth/users', { method: 'POST', body: { email: 'ann@example.com', password: 'secret123', name: 'Ann' } });
  await page.getByLabel('View as role').selectOption('user');
  await page.getByLabel('User email or subject').fill('ann@');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('list', { name: 'Users found' }).getByRole('button', { name: /ann@example.com/ }).click();
  await banner.filter({ hasText: 'ann@example.com' }).waitFor();
  await write(page, 'select auth.uid()::text as uid, auth.email() as email');
  await runKeys(page);
  await status(page).filter({ hasText: '1 row' }).waitFor();
  assert.deepEqual(await cells(page), [[signedUp.user.id, 'ann@example.com']]);
  await write(page, query);

  // Back to the admin: both users' rows again, no banner.
  await page.getByLabel('View as role').selectOption('admin');
  await banner.waitFor({ state: 'detached' });
  await runKeys(page);
  await status(page).filter({ hasText: '3 rows' }).waitFor();
  assert.equal(count(), 3);

  // Dark and narrow.
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot(page, 'sql-dark');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByLabel('View as role').selectOption('user');
  await page.getByLabel('User email or subject').fill('auth0|bob');
  await page.getByRole('button', { name: 'Use as sub' }).click();
  await runKeys(page);
  await status(page).filter({ hasText: '1 row' }).waitFor();
  assert.deepEqual(await cells(page), [['auth0|bob', 'bob todo']]);
  await shot(page, 'sql-narrow-dark');
  // A wide result scrolls inside its box, not the page.
  await write(page, `select user_id, title, repeat('wide ', 40) as a, repeat('wider ', 40) as b, created_at from todos`);
  await runKeys(page);
  await status(page).filter({ hasText: '1 row' }).waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, 'the SQL page scrolls sideways at 390 px');
  await shot(page, 'sql-narrow-wide');
  assert.deepEqual(page.errors.filter((e) => !/Failed to load resource/.test(e)), []);
  await page.context().close();
});
