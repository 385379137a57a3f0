// Tables: create (scenario 5), alter (columns, foreign keys, rename, drop after typing the name),
// RLS on/off from the structure tab, and names that need quoting. Every change is checked
// through the API or the catalog, not only on the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useOxforge, newPage, login, shot, openSection } from './harness.mjs';

let server, browser, page;
useOxforge(async (s, b) => {
  [server, browser] = [s, b];
  page = await newPage(browser, server);
  await login(page, server);
});

const schemaOf = (t) => server.api(`/api/database/tables/${encodeURIComponent(t)}/schema`);
const column = (s, name) => s.columns.find((c) => c.columnName === name);
const rlsOf = (t) => server.sql(`SELECT relrowsecurity FROM pg_class WHERE oid = '"public".${`"${t.replaceAll('"', '""')}"`.replaceAll("'", "''")}'::regclass`);
const exact = { exact: true };

async function fillColumn(dialog, n, { name, type, raw, def, nullable, unique, pk }) {
  await dialog.getByLabel(`Column ${n} name`, exact).fill(name);
  if (type) await dialog.getByLabel(`Column ${n} type`, exact).selectOption(type);
  if (raw) await dialog.getByLabel(`Column ${n} PostgreSQL type`, exact).fill(raw);
  if (def !== undefined) await dialog.getByLabel(`Column ${n} default`, exact).fill(def);
  if (nullable !== undefined) await dialog.getByLabel(`Column ${n} nullable`, exact).setChecked(nullable);
  if (unique !== undefined) await dialog.getByLabel(`Column ${n} unique`, exact).setChecked(unique);
  if (pk !== undefined) await dialog.getByLabel(`Column ${n} primary key`, exact).setChecked(pk);
}

async function openTable(name, tab = 'Structure') {
  await page.getByRole('list', { name: 'Table list' }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('tab', { name: tab }).click();
}

test('scenario 5: create todos in the form; the API sees its columns, types and defaults; RLS is on', async () => {
  await openSection(page, 'Tables');
  await page.getByRole('heading', { name: 'Tables', exact: true }).waitFor();
  await page.getByRole('button', { name: 'New table' }).click();
  const dialog = page.getByRole('dialog', { name: 'New table' });
  await dialog.getByLabel('Table name', exact).fill('todos');
  await fillColumn(dialog, 1, { name: 'title', type: 'string', nullable: false });
  await dialog.getByRole('button', { name: 'Add column' }).click();
  await fillColumn(dialog, 2, { name: 'done', type: 'boolean', def: 'false' });
  await dialog.getByRole('button', { name: 'Add column' }).click();
  // A type the server refuses: its validation message shows in the form.
  await fillColumn(dialog, 3, { name: 'user_id', type: 'other', raw: 'not a type!' });
  const rls = dialog.getByRole('checkbox', { name: /Row Level Security/ });
  assert.equal(await rls.isChecked(), true, 'RLS is on by default');
  await dialog.getByRole('button', { name: 'Create table' }).click();
  await dialog.getByRole('alert').filter({ hasText: 'unknown type "not a type!"' }).waitFor();
  assert.deepEqual(await server.api('/api/database/tables'), [], 'nothing was created');

  await fillColumn(dialog, 3, { name: 'user_id', type: 'uuid', def: 'auth.uid()' });
  await shot(page, 'tables-create-form');
  await dialog.getByRole('button', { name: 'Create table' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByRole('list', { name: 'Table list' }).getByRole('link', { name: 'todos', exact: true }).waitFor();

  const s = await schemaOf('todos');
  assert.deepEqual(
    s.columns.map((c) => [c.columnName, c.type, c.defaultValue, c.isNullable, c.isPrimaryKey]),
    [
      ['id', 'uuid', 'gen_random_uuid()', false, true],
      ['title', 'text', null, false, false],
      ['done', 'boolean', 'false', true, false],
      ['user_id', 'uuid', 'auth.uid()', true, false],
      ['created_at', 'timestamp with time zone', 'now()', false, false],
      ['updated_at', 'timestamp with time zone', 'now()', false, false],
    ],
  );
  assert.equal(s.rlsEnabled, true);
  assert.equal(rlsOf('todos'), 't', 'pg_class.relrowsecurity is on');

  // The structure tab shows the same, with RLS on.
  await page.getByRole('tab', { name: 'Structure', selected: true }).waitFor();
  const cols = page.getByRole('table', { name: 'Columns' });
  await cols.locator('tr[data-column="user_id"]').filter({ hasText: 'auth.uid()' }).waitFor();
  await page.getByTestId('rls-status').filter({ hasText: 'RLS on' }).waitFor();
  await page.getByText('todos_pkey', exact).waitFor();

  // Creating it again: the server's message shows.
  await page.getByRole('button', { name: 'New table' }).click();
  await dialog.getByLabel('Table name', exact).fill('todos');
  await fillColumn(dialog, 1, { name: 'x', type: 'integer' });
  await dialog.getByRole('button', { name: 'Create table' }).click();
  await dialog.getByRole('alert').filter({ hasText: 'already exists' }).waitFor();
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await shot(page, 'tables-structure');
  assert.deepEqual(page.errors.filter((e) => !/Failed to load resource/.test(e)), []);
});

test('alter: add, rename (with a new default) and drop a column; add and drop a foreign key; toggle RLS', async () => {
  await openTable('todos');
  await page.getByRole('button', { name: 'Add column…' }).click();
  const add = page.getByRole('form', { name: 'Add column' });
  await add.getByLabel('Column new name', exact).fill('Notes');
  await add.getByLabel('Column new type', exact).selectOption('string');
  await add.getByRole('button', { name: 'Add column' }).click();
  await add.waitFor({ state: 'detached' });
  let s = await schemaOf('todos');
  assert.equal(column(s, 'Notes')?.type, 'text');

  await page.getByRole('button', { name: 'Edit column Notes' }).click();
  const edit = page.getByRole('dialog', { name: 'Edit column Notes' });
  await edit.getByLabel('New column name').fill('Remarks');
  await edit.getByLabel('New default').fill("'none'");
  await edit.getByRole('button', { name: 'Save column' }).click();
  await edit.waitFor({ state: 'detached' });
  s = await schemaOf('todos');
  assert.equal(column(s, 'Notes'), undefined);
  assert.equal(column(s, 'Remarks')?.defaultValue, "'none'::text");
  await page.locator('tr[data-column="Remarks"]').waitFor();

  // Clearing the default drops it.
  await page.getByRole('button', { name: 'Edit column Remarks' }).click();
  await page.getByRole('dialog', { name: 'Edit column Remarks' }).getByLabel('New default').fill('');
  await page.getByRole('button', { name: 'Save column' }).click();
  await page.getByRole('dialog', { name: 'Edit column Remarks' }).waitFor({ state: 'detached' });
  assert.equal(column(await schemaOf('todos'), 'Remarks')?.defaultValue, null);

  await page.getByRole('button', { name: 'Drop column Remarks' }).click();
  await page.getByRole('dialog', { name: 'Drop column Remarks?' }).getByRole('button', { name: 'Drop column' }).click();
  await page.locator('tr[data-column="Remarks"]').waitFor({ state: 'detached' });
  assert.equal(column(await schemaOf('todos'), 'Remarks'), undefined);

  // A foreign key to another table, then dropped.
  await server.api('/api/database/tables', { method: 'POST', body: { tableName: 'projects', columns: [{ columnName: 'name', type: 'string' }] } });
  await server.api('/api/database/tables/todos/schema', { method: 'PATCH', body: { addColumns: [{ columnName: 'project_id', type: 'uuid' }] } });
  await page.reload();
  await page.getByRole('button', { name: 'Add foreign key…' }).click();
  const fk = page.getByRole('form', { name: 'Add foreign key' });
  await fk.getByLabel('Foreign key new column', exact).selectOption('project_id');
  await fk.getByLabel('Foreign key new referenced table', exact).selectOption('projects');
  await fk.getByLabel('Foreign key new referenced column', exact).selectOption('id');
  await fk.getByLabel('Foreign key new on delete', exact).selectOption('CASCADE');
  await fk.getByRole('button', { name: 'Add foreign key' }).click();
  await fk.waitFor({ state: 'detached' });
  s = await schemaOf('todos');
  assert.equal(s.foreignKeys.length, 1);
  assert.match(s.foreignKeys[0].definition, /FOREIGN KEY \(project_id\) REFERENCES (public\.)?projects\(id\) ON DELETE CASCADE/);
  await shot(page, 'tables-structure-fk');
  await page.getByRole('button', { name: `Drop foreign key ${s.foreignKeys[0].constraintName}` }).click();
  await page.getByRole('button', { name: 'Drop foreign key', exact: true }).click();
  await page.getByText('No foreign keys.').waitFor();
  assert.deepEqual((await schemaOf('todos')).foreignKeys, []);

  // RLS off (after a confirmation) and on again.
  await page.getByRole('button', { name: 'Disable Row Level Security on todos' }).click();
  await page.getByRole('dialog', { name: 'Disable Row Level Security?' }).getByRole('button', { name: 'Disable RLS' }).click();
  await page.getByTestId('rls-status').filter({ hasText: 'RLS off' }).waitFor();
  assert.equal(rlsOf('todos'), 'f');
  await page.getByRole('button', { name: 'Enable Row Level Security on todos' }).click();
  await page.getByTestId('rls-status').filter({ hasText: 'RLS on' }).waitFor();
  assert.equal(rlsOf('todos'), 't');
});

test('rename a table; drop one only after typing its exact name', async () => {
  await server.api('/api/database/tables', { method: 'POST', body: { tableName: 'scratch', columns: [{ columnName: 'n', type: 'integer' }] } });
  await page.reload();
  await openTable('scratch');
  await page.getByLabel('New table name').fill('scratch_two');
  await page.getByRole('button', { name: 'Rename table' }).click();
  await page.getByRole('list', { name: 'Table list' }).getByRole('link', { name: 'scratch_two', exact: true }).waitFor();
  let tables = await server.api('/api/database/tables');
  assert.ok(tables.includes('scratch_two') && !tables.includes('scratch'), JSON.stringify(tables));
  await page.waitForURL(/table=scratch_two/);

  const drop = page.getByRole('button', { name: 'Drop table' });
  const confirm = page.getByLabel('Type the table name to confirm');
  await confirm.fill('scratch');
  assert.equal(await drop.isDisabled(), true, 'a wrong name keeps the button disabled');
  await confirm.fill('Scratch_two');
  assert.equal(await drop.isDisabled(), true, 'the name must match exactly');
  await confirm.press('Enter');
  assert.ok((await server.api('/api/database/tables')).includes('scratch_two'), 'Enter with a wrong name drops nothing');
  await confirm.fill('scratch_two');
  await shot(page, 'tables-drop');
  await drop.click();
  await page.getByText('Pick a table').waitFor();
  tables = await server.api('/api/database/tables');
  assert.ok(!tables.includes('scratch_two'), JSON.stringify(tables));
  await page.getByRole('list', { name: 'Table list' }).getByRole('link', { name: 'scratch_two', exact: true }).waitFor({ state: 'detached' });
});

test("names with spaces, quotes and capitals: Tom's List with \"Due Date\", altered and RLS toggled", async () => {
  await page.getByRole('button', { name: 'New table' }).click();
  const dialog = page.getByRole('dialog', { name: 'New table' });
  const table = "Tom's List";
  await dialog.getByLabel('Table name', exact).fill(table);
  await fillColumn(dialog, 1, { name: 'Due Date', type: 'date', def: 'current_date' });
  await dialog.getByRole('button', { name: 'Add column' }).click();
  await fillColumn(dialog, 2, { name: "Owner's Sub", type: 'string', unique: true });
  await dialog.getByRole('button', { name: 'Add column' }).click();
  await fillColumn(dialog, 3, { name: 'Price', type: 'other', raw: 'numeric(10,2)', def: '0' });
  await dialog.getByRole('checkbox', { name: /Row Level Security/ }).uncheck();
  await dialog.getByRole('button', { name: 'Create table' }).click();
  await dialog.waitFor({ state: 'detached' });

  const s = await schemaOf(table);
  assert.equal(column(s, 'Due Date')?.type, 'date');
  assert.equal(column(s, 'Due Date')?.defaultValue, 'CURRENT_DATE');
  assert.equal(column(s, "Owner's Sub")?.isUnique, true);
  assert.equal(column(s, 'Price')?.type, 'numeric(10,2)');
  assert.equal(s.rlsEnabled, false, 'RLS unchecked in the form: off');
  assert.equal(rlsOf(table), 'f');

  await page.getByTestId('rls-status').filter({ hasText: 'RLS off' }).waitFor();
  await page.getByRole('button', { name: `Enable Row Level Security on ${table}` }).click();
  await page.getByTestId('rls-status').filter({ hasText: 'RLS on' }).waitFor();
  assert.equal(rlsOf(table), 't');

  await page.getByRole('button', { name: 'Edit column Due Date' }).click();
  await page.getByLabel('New column name').fill('Due "Day"');
  await page.getByRole('button', { name: 'Save column' }).click();
  // The server refuses double quotes in names; its message reaches the page.
  await page.getByRole('status').getByText(/invalid name/).waitFor();
  await page.getByLabel('New column name').fill('Due Day');
  await page.getByRole('button', { name: 'Save column' }).click();
  await page.locator('tr[data-column="Due Day"]').waitFor();
  assert.equal(column(await schemaOf(table), 'Due Day')?.type, 'date');
  await shot(page, 'tables-quoted');

  // The filter box narrows the list.
  await page.getByLabel('Filter tables').fill("tom's");
  const list = page.getByRole('list', { name: 'Table list' });
  await list.getByRole('link', { name: 'todos', exact: true }).waitFor({ state: 'detached' });
  assert.deepEqual(await list.getByRole('link').allInnerTexts(), [table]);
  await page.getByLabel('Filter tables').fill('');
});

test('many tables: the list stays short and the filter finds any of them; protected schemas are read-only', async () => {
  server.sql("DO $$ BEGIN FOR i IN 1..450 LOOP EXECUTE format('CREATE TABLE public.%I (n int)', 'bulk_' || lpad(i::text, 4, '0')); END LOOP; END $$");
  assert.equal((await server.api('/api/database/tables')).filter((t) => t.startsWith('bulk_')).length, 450);
  await page.goto('/dashboard/tables');
  const list = page.getByRole('list', { name: 'Table list' });
  await page.getByText('more: refine the filter').waitFor();
  assert.equal(await list.getByRole('link').count(), 300, 'at most 300 names are drawn at once');
  await page.getByLabel('Filter tables').fill('bulk_0437');
  assert.deepEqual(await list.getByRole('link').allInnerTexts(), ['bulk_0437']);
  await list.getByRole('link', { name: 'bulk_0437' }).click();
  await page.getByRole('tab', { name: 'Structure' }).click();
  await page.locator('tr[data-column="n"]').waitFor();
  await page.getByLabel('Filter tables').fill('');

  await page.getByLabel('Schema').selectOption('auth');
  await page.waitForURL(/schema=auth/);
  assert.equal(await page.getByRole('button', { name: 'New table' }).isDisabled(), true);
  await list.getByRole('link', { name: 'users', exact: true }).click();
  await page.getByRole('tab', { name: 'Structure' }).click();
  await page.locator('tr[data-column="email"]').waitFor();
  assert.equal(await page.getByRole('button', { name: /^Edit column/ }).count(), 0, 'no alter buttons on auth.users');
  assert.equal(await page.getByRole('button', { name: 'Drop table' }).count(), 0);
  await page.getByLabel('Schema').selectOption('public');
  await page.waitForURL(/\/dashboard\/tables$/);
});

test('at 390 px in dark theme the tables page and the create form fit without sideways scrolling', async () => {
  const narrow = await newPage(browser, server, { width: 390, height: 844 });
  await narrow.emulateMedia({ colorScheme: 'dark' });
  await login(narrow, server);
  await narrow.goto('/dashboard/tables?table=todos&tab=structure');
  await narrow.getByRole('table', { name: 'Columns' }).waitFor();
  const overflow = () => narrow.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(await overflow(), 0, 'structure tab scrolls sideways');
  await shot(narrow, 'tables-structure-narrow-dark');
  await narrow.getByRole('button', { name: 'New table' }).click();
  await narrow.getByRole('dialog', { name: 'New table' }).getByRole('button', { name: 'Add foreign key' }).click();
  assert.equal(await overflow(), 0, 'create form scrolls sideways');
  await shot(narrow, 'tables-create-narrow-dark');
  await narrow.context().close();
});
