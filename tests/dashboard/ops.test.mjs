// Operations: the request log (search, live tail, paging back), the audit trail, migrations
// (history and the create form with its dry run), and the keyboard layer (`?` sheet, Ctrl+K
// palette, `g` then a letter). Each outcome is checked through the API, not only on screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startOxforge, launch, newPage, login, shot, openSection } from './harness.mjs';

let server, browser;
const TABLE = `zebra_inventory_${randomBytes(3).toString('hex')}`;

before(async () => {
  server = await startOxforge();
  browser = await launch();
  server.sql(`create table public.${TABLE} (id bigint primary key, name text); create table public.apples (id int primary key);`);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

// A reload starts with a 401 (the session is renewed through the refresh cookie): not an error.
const errors = (page) => page.errors.filter((e) => !/status of 401 \(Unauthorized\)/.test(e));
const marker = () => randomBytes(6).toString('hex');
const overflow = (page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
const logRows = (page) => page.getByRole('table', { name: 'Request log' }).locator('tbody tr');
const dark = async (page) => {
  await page.evaluate(() => localStorage.setItem('oxforge.theme', 'dark'));
  await page.reload();
};

test('request log: a request just made shows up, is found by search, older pages load, live tail adds new ones and stops with the page', async () => {
  // An entry that will be more than a page (100) back, then enough requests to push it there.
  const first = marker();
  await fetch(`${server.url}/api/first-${first}`);
  await Promise.all(Array.from({ length: 110 }, () => fetch(`${server.url}/api/health`)));
  const m = marker();
  assert.equal((await fetch(`${server.url}/api/ops-${m}`)).status, 404);
  // The server has it (a path that only this request used).
  const found = await server.api(`/api/logs/search?q=${m}`);
  assert.equal(found.length, 1);
  assert.equal(found[0].body.metadata.path, `/api/ops-${m}`);

  const page = await newPage(browser, server);
  await login(page, server);
  await openSection(page, 'Logs');
  await page.getByRole('heading', { name: 'Logs' }).waitFor();
  await page.getByRole('tab', { name: 'Request log' }).waitFor();
  const rows = logRows(page);
  await rows.filter({ hasText: `/api/ops-${m}` }).waitFor();
  assert.equal(await rows.filter({ hasText: `/api/ops-${m}` }).locator('td').nth(2).textContent(), '404');
  assert.equal(await rows.count(), 100, 'one page of 100 entries');
  assert.equal(await rows.filter({ hasText: `/api/first-${first}` }).count(), 0, 'the old entry is beyond the first page');

  // Load older: the entry from before the 110 requests arrives.
  await page.getByRole('button', { name: 'Load older' }).click();
  await rows.filter({ hasText: `/api/first-${first}` }).waitFor();
  assert.ok((await rows.count()) > 100);

  // Details of an entry: its whole body.
  const target = rows.filter({ hasText: `/api/ops-${m}` });
  await target.getByRole('button', { name: /^Details of entry/ }).click();
  await page.locator('tr.detail pre').filter({ hasText: `"path": "/api/ops-${m}"` }).waitFor();
  await shot(page, 'logs-requests');

  // Search: only the matching entry.
  await page.getByLabel('Search logs').fill(m);
  await page.getByLabel('Search logs').press('Enter');
  await page.getByText(`containing “${m}”`).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Request log"] tbody tr').length === 1);
  await rows.filter({ hasText: `/api/ops-${m}` }).waitFor();
  await shot(page, 'logs-search');
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Request log"] tbody tr').length >= 100);

  // Live tail: a new request appears on top without a reload or a click.
  await page.getByLabel('Live tail').check();
  const tailed = marker();
  const navigations = [];
  page.on('framenavigated', (f) => f === page.mainFrame() && navigations.push(f.url()));
  await fetch(`${server.url}/api/tail-${tailed}`);
  await rows.filter({ hasText: `/api/tail-${tailed}` }).waitFor({ timeout: 7_000 });
  assert.match(await rows.first().textContent(), new RegExp(`/api/tail-${tailed}`), 'the newest entry is on top');
  assert.deepEqual(navigations, [], 'no reload');
  await shot(page, 'logs-tail');

  // Leaving the page stops the polling.
  await openSection(page, 'Migrations');
  await page.getByRole('heading', { name: 'Migrations' }).waitFor();
  let polls = 0;
  page.on('request', (r) => r.url().includes('/api/logs/') && polls++);
  await page.waitForTimeout(4_500);
  assert.equal(polls, 0, 'the tail still polls after the page was left');
  assert.deepEqual(errors(page), []);
  await page.context().close();
});

test('audit trail: a secret created through the API is listed, filterable, with its details', async () => {
  const key = `OPS_${marker().toUpperCase()}`;
  await server.api('/api/secrets', { method: 'POST', body: { key, value: 'shh-not-shown' } });
  // The audit row is written after the answer: wait for it (at most 5 s).
  let recorded = false;
  for (let i = 0; i < 50 && !recorded; i++) {
    const audits = await server.api('/api/logs/audits?action=CREATE_SECRET');
    recorded = audits.some((a) => a.details?.key === key && a.module === 'SECRETS');
    if (!recorded) await new Promise((ok) => setTimeout(ok, 100));
  }
  assert.ok(recorded, 'the API records the action');

  const page = await newPage(browser, server);
  await login(page, server);
  await page.goto('/dashboard/logs');
  await page.getByRole('tab', { name: 'Audit trail' }).click();
  assert.match(page.url(), /\/dashboard\/logs\?tab=audit$/);
  const table = page.getByRole('table', { name: 'Audit trail' });
  const row = table.locator('tbody tr').filter({ hasText: key });
  await row.waitFor();
  assert.match(await row.textContent(), /CREATE_SECRET/);
  assert.match(await row.textContent(), /SECRETS/);
  assert.match(await row.textContent(), /api-key/);
  await row.getByRole('button', { name: 'Details of CREATE_SECRET' }).click();
  await table.locator('tr.detail pre').filter({ hasText: `"key": "${key}"` }).waitFor();
  assert.ok(!(await page.content()).includes('shh-not-shown'), 'the secret value is not shown');
  await shot(page, 'logs-audit');

  // Filters go to the server: an unknown module empties the list, the right action keeps the row.
  await page.getByLabel('Module').fill('NO_SUCH_MODULE');
  await page.getByRole('button', { name: 'Filter' }).click();
  await table.getByText('No audit entries.').waitFor();
  await page.getByLabel('Module').fill('SECRETS');
  await page.getByLabel('Action').fill('CREATE_SECRET');
  await page.getByRole('button', { name: 'Filter' }).click();
  await row.waitFor();
  const actions = await table.locator('tbody tr:not(.detail) td:nth-child(3)').allTextContents();
  assert.ok(actions.length >= 1 && actions.every((a) => a === 'CREATE_SECRET'), actions.join());

  await dark(page);
  await page.getByRole('table', { name: 'Audit trail' }).locator('tbody tr').filter({ hasText: key }).waitFor();
  await shot(page, 'logs-audit-dark');
  assert.deepEqual(errors(page), []);
  await page.context().close();
});

test('migrations: one applied through the API is listed with its statements; the form dry-runs, guards DANGER and applies', async () => {
  const created = await server.api('/api/database/migrations', {
    method: 'POST',
    body: { version: '20260101000001', name: 'ops-api-table', sql: "create table public.ops_m (id int primary key);\ncomment on table public.ops_m is 'a; b';" },
  });
  assert.equal(created.statements.length, 2);

  const page = await newPage(browser, server);
  await login(page, server);
  await openSection(page, 'Migrations');
  const table = page.getByRole('table', { name: 'Migration history' });
  const row = table.locator('tbody tr').filter({ hasText: 'ops-api-table' });
  await row.waitFor();
  assert.match(await row.textContent(), /20260101000001/);
  await row.getByRole('button', { name: 'Statements of ops-api-table' }).click();
  const dialog = page.getByRole('dialog', { name: '20260101000001 · ops-api-table' });
  await dialog.waitFor();
  const shown = await dialog.locator('li pre').allTextContents();
  assert.deepEqual(shown, created.statements);
  await shot(page, 'migrations-statements');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });

  // The form: a DANGER script is flagged and cannot be applied unconfirmed.
  await page.getByRole('button', { name: 'New migration' }).click();
  const form = page.getByRole('form', { name: 'New migration' });
  await form.getByLabel('Name').fill('ops-ui-drop');
  await form.getByLabel('SQL').fill('drop table public.ops_m');
  await form.getByRole('button', { name: 'Check (dry run)' }).click();
  await form.getByRole('status').filter({ hasText: 'DANGER' }).waitFor();
  assert.ok(await form.getByRole('button', { name: 'Apply migration' }).isDisabled());
  assert.equal(server.sql("select count(*) from pg_tables where tablename = 'ops_m'"), '1', 'the dry run rolled back');

  // A safe one applies; the history and the database show it.
  await form.getByLabel('SQL').fill('alter table public.ops_m add column note text;\ncreate index ops_m_note on public.ops_m (note);');
  await form.getByRole('button', { name: 'Check (dry run)' }).click();
  await form.getByRole('status').filter({ hasText: 'Dry run passed: 2 statements' }).waitFor();
  await shot(page, 'migrations-form');
  await form.getByLabel('Name').fill('ops-ui-note');
  await form.getByRole('button', { name: 'Apply migration' }).click();
  await table.locator('tbody tr').filter({ hasText: 'ops-ui-note' }).waitFor();
  const { migrations } = await server.api('/api/database/migrations');
  const ui = migrations.find((x) => x.name === 'ops-ui-note');
  assert.ok(ui, 'the API lists the migration');
  assert.ok(BigInt(ui.version) > 20260101000001n);
  assert.equal(ui.statements.length, 2);
  assert.equal(server.sql("select count(*) from information_schema.columns where table_name = 'ops_m' and column_name = 'note'"), '1');
  assert.match(await table.locator('tbody tr').first().textContent(), /ops-ui-note/, 'newest first');
  await shot(page, 'migrations');
  assert.deepEqual(errors(page), []);
  await page.context().close();
});

test('keyboard: ? opens the sheet but not in a text field; Ctrl+K goes to a table or a page; Escape closes; g then t', async () => {
  const page = await newPage(browser, server);
  await login(page, server);
  await page.getByRole('heading', { name: 'Connect' }).waitFor();

  await page.keyboard.press('?');
  const sheet = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await sheet.waitFor();
  assert.match(await sheet.textContent(), /command palette/);
  await shot(page, 'shortcut-sheet');
  await page.keyboard.press('Escape');
  await sheet.waitFor({ state: 'detached' });

  // Typing `?` in a text field types it.
  await page.goto('/dashboard/logs');
  const search = page.getByLabel('Search logs');
  await search.click();
  await page.keyboard.type('a?b');
  assert.equal(await search.inputValue(), 'a?b');
  await page.waitForTimeout(300);
  assert.equal(await sheet.count(), 0, 'the sheet opened while typing');
  // `g` `t` while typing does nothing either.
  await page.keyboard.type('gt');
  assert.equal(await search.inputValue(), 'a?bgt');
  assert.match(page.url(), /\/dashboard\/logs$/);

  // Ctrl+K works from a text field too; part of the table's name, Enter.
  await page.keyboard.press('Control+k');
  const palette = page.getByRole('dialog', { name: 'Command palette' });
  await palette.waitFor();
  const box = palette.getByRole('combobox', { name: 'Go to a page or table' });
  assert.ok(await box.evaluate((el) => el === document.activeElement), 'the filter box has focus');
  await page.keyboard.type(TABLE.slice(4, 14));
  await palette.getByRole('option', { name: new RegExp(TABLE) }).waitFor();
  await shot(page, 'palette');
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`/dashboard/tables\\?table=${TABLE}$`));
  await palette.waitFor({ state: 'detached' });
  await page.getByRole('link', { name: TABLE }).and(page.locator('.active')).waitFor();

  // Arrows: `l` matches several pages and the `apples` table; move down to it.
  await page.keyboard.press('Control+k');
  await palette.waitFor();
  await page.keyboard.type('l');
  const options = palette.getByRole('option');
  await palette.getByRole('option', { name: /apples/ }).waitFor();
  const names = await options.allTextContents();
  const target = names.findIndex((n) => n.startsWith('apples'));
  assert.ok(target > 0, names.join(' | '));
  for (let i = 0; i < target; i++) await page.keyboard.press('ArrowDown');
  assert.equal(await palette.getByRole('option', { selected: true }).textContent(), names[target]);
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/dashboard\/tables\?table=apples$/);

  // A page by name; Escape closes without going anywhere.
  await page.keyboard.press('Control+k');
  await page.keyboard.type('migra');
  await page.keyboard.press('Escape');
  await palette.waitFor({ state: 'detached' });
  assert.match(page.url(), /table=apples$/);
  await page.keyboard.press('Control+k');
  await page.keyboard.type('migra');
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/dashboard\/migrations$/);

  // g then t, g then l.
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('g');
  await page.keyboard.press('t');
  await page.waitForURL(/\/dashboard\/tables$/);
  await page.keyboard.press('g');
  await page.keyboard.press('l');
  await page.waitForURL(/\/dashboard\/logs$/);
  assert.deepEqual(errors(page), []);
  await page.context().close();
});

test('narrow and dark: logs, migrations, the palette at 390 px without sideways scrolling', async () => {
  const page = await newPage(browser, server, { width: 390, height: 844 });
  await login(page, server);
  await page.goto('/dashboard/logs');
  await logRows(page).first().waitFor();
  assert.equal(await overflow(page), 0, 'logs scroll sideways at 390 px');
  await shot(page, 'logs-narrow');
  await dark(page);
  await logRows(page).first().waitFor();
  assert.equal(await overflow(page), 0);
  await shot(page, 'logs-narrow-dark');
  await page.goto('/dashboard/logs?tab=audit');
  await page.getByRole('table', { name: 'Audit trail' }).locator('tbody tr').first().waitFor();
  assert.equal(await overflow(page), 0, 'the audit trail scrolls sideways at 390 px');
  await shot(page, 'logs-audit-narrow-dark');
  await page.goto('/dashboard/migrations');
  await page.getByRole('table', { name: 'Migration history' }).locator('tbody tr').filter({ hasText: 'ops-' }).first().waitFor();
  await page.getByRole('button', { name: 'New migration' }).click();
  assert.equal(await overflow(page), 0, 'migrations scroll sideways at 390 px');
  await shot(page, 'migrations-narrow-dark');
  await page.keyboard.press('Control+k');
  await page.getByRole('dialog', { name: 'Command palette' }).waitFor();
  await page.keyboard.type('zebra');
  assert.equal(await overflow(page), 0);
  await shot(page, 'palette-narrow-dark');
  await page.keyboard.press('Escape');
  await page.evaluate(() => document.activeElement?.blur());
  await page.keyboard.press('?');
  await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
  await shot(page, 'shortcut-sheet-narrow-dark');
  assert.deepEqual(errors(page), []);
  await page.context().close();
});
