// The row grid (Tables → Rows): inline editing that tells NULL from "", add and delete rows,
// CSV export/import, sort/search/filter/paging against the API's own answers, foreign-key
// preview and jump, and a 1,000,000-row table with its estimated count and first-page time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startOxforge, launch, newPage, login, shot, openSection } from './harness.mjs';

let server, browser;
before(async () => {
  server = await startOxforge();
  browser = await launch();
  server.sql(`
    create table public.authors (id int primary key, name text not null);
    insert into public.authors values (1, 'Ada'), (2, 'Grace');
    create table public.todos (
      id uuid primary key default gen_random_uuid(),
      title text,
      done boolean default false,
      note text,
      meta jsonb,
      author_id int references public.authors (id),
      created_at timestamptz not null default now()
    );
    create table public.people (id int primary key, name text, age int);
    insert into public.people select g, 'person ' || g, g % 50 from generate_series(1, 120) g;
  `);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const records = (table) => server.api(`/api/database/records/${table}`);
/** The grid route's own answer (API key), for comparing what the page shows. */
const gridApi = (table, query) => server.api(`/api/database/admin/tables/${table}/records?${new URLSearchParams(query)}`);

async function openTable(page, name) {
  await page.getByRole('region', { name: 'Tables' }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('region', { name: `Rows of ${name}` }).waitFor();
}

/** The texts of one column's cells, top to bottom. */
function columnTexts(page, column) {
  return page.getByRole('button', { name: new RegExp(`^Edit ${column} of row \\d+$`) }).allTextContents();
}

/** Waits until the page's ids are `expected` (the grid reloads after each change). */
async function idsShown(page, expected) {
  const want = expected.map(String);
  for (let i = 0; i < 100; i++) {
    const got = await columnTexts(page, 'id');
    if (JSON.stringify(got) === JSON.stringify(want)) return;
    await page.waitForTimeout(100);
  }
  assert.deepEqual(await columnTexts(page, 'id'), want);
}

/** Console errors but the sign-in check's expected 401. */
const realErrors = (page) => page.errors.filter((e) => !/401|Failed to load resource/.test(e));

const countText = (page) => page.locator('.pager .count');

async function editCell(page, column, rowNo, typed) {
  await page.getByRole('button', { name: `Edit ${column} of row ${rowNo}`, exact: true }).click();
  const field = page.getByLabel(`${column} value`, { exact: true });
  await field.fill('');
  await field.pressSequentially(typed);
  return field;
}

test('scenario 6: add a row, edit its cells inline (title, done, NULL, JSON, ""), Escape cancels', async () => {
  const page = await newPage(browser, server);
  await login(page, server);
  await openSection(page, 'Tables');
  await openTable(page, 'todos');
  await page.getByText('No rows.').waitFor();

  await page.getByRole('button', { name: 'Add row' }).click();
  const form = page.getByRole('dialog', { name: 'Add row' });
  await form.getByLabel('title', { exact: true }).fill('first');
  await form.getByLabel('note', { exact: true }).fill('a note');
  await form.getByLabel('author_id', { exact: true }).fill('2');
  await shot(page, 'grid-add-row');
  await form.getByRole('button', { name: 'Insert' }).click();
  await form.waitFor({ state: 'detached' });
  const title = page.getByRole('button', { name: 'Edit title of row 1', exact: true });
  await assert.doesNotReject(title.filter({ hasText: 'first' }).waitFor());
  let [row] = await records('todos');
  assert.equal(row.title, 'first');
  assert.equal(row.done, false, 'a blank field is left to the default');
  assert.equal(row.author_id, 2);
  assert.ok(row.created_at, 'the default created_at applied');

  // Escape cancels: nothing is sent.
  await editCell(page, 'title', 1, 'zzz');
  await page.keyboard.press('Escape');
  await title.filter({ hasText: 'first' }).waitFor();
  assert.equal((await records('todos'))[0].title, 'first');

  // Typed keys stay in the editor ("e", "d", space…); Enter saves.
  await editCell(page, 'title', 1, 'edited title');
  await shot(page, 'grid-editing');
  await page.keyboard.press('Enter');
  await title.filter({ hasText: 'edited title' }).waitFor();

  await page.getByRole('checkbox', { name: 'done of row 1' }).click();
  await assert.doesNotReject(page.waitForFunction(() => document.querySelector('input[aria-label="done of row 1"]')?.checked === true));

  await page.getByRole('button', { name: 'Edit note of row 1', exact: true }).click();
  await page.getByRole('button', { name: 'Set NULL' }).click();
  await page.getByRole('button', { name: 'Edit note of row 1', exact: true }).filter({ hasText: 'NULL' }).waitFor();

  const meta = await editCell(page, 'meta', 1, '{"tags": ["a", "b"], "n": 1}');
  await meta.press('Enter');
  await page.getByRole('button', { name: 'Edit meta of row 1', exact: true }).filter({ hasText: '"tags"' }).waitFor();

  [row] = await records('todos');
  assert.equal(row.title, 'edited title');
  assert.equal(row.done, true);
  assert.equal(row.note, null, 'Set NULL stores NULL, not ""');
  assert.deepEqual(row.meta, { tags: ['a', 'b'], n: 1 });

  // An emptied text cell is "", not NULL.
  await editCell(page, 'note', 1, 'x');
  await page.getByLabel('note value', { exact: true }).fill('');
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Edit note of row 1', exact: true }).filter({ hasText: '""' }).waitFor();
  assert.equal((await records('todos'))[0].note, '', 'an empty text is "", not NULL');

  // Bad JSON is refused in the browser; the value is unchanged.
  await editCell(page, 'meta', 1, '{nope');
  await page.keyboard.press('Enter');
  await page.getByText('Not valid JSON').waitFor();
  await page.keyboard.press('Escape');
  assert.deepEqual((await records('todos'))[0].meta, { tags: ['a', 'b'], n: 1 });
  // A number and a time stamp, through their own inputs.
  await page.getByRole('button', { name: 'Edit author_id of row 1', exact: true }).click();
  assert.equal(await page.getByLabel('author_id value', { exact: true }).getAttribute('type'), 'number');
  await page.getByLabel('author_id value', { exact: true }).fill('1');
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Edit author_id of row 1', exact: true }).filter({ hasText: /^1$/ }).waitFor();
  await page.getByRole('button', { name: 'Edit created_at of row 1', exact: true }).click();
  const when = page.getByLabel('created_at value', { exact: true });
  assert.equal(await when.getAttribute('type'), 'datetime-local');
  await when.fill('2024-03-04T05:06:07');
  await when.press('Enter');
  const instant = await page.evaluate(() => new Date('2024-03-04T05:06:07').getTime());
  await page.getByRole('button', { name: 'Edit created_at of row 1', exact: true }).filter({ hasText: '2024-03-0' }).waitFor();
  [row] = await records('todos');
  assert.equal(row.author_id, 1);
  assert.equal(new Date(row.created_at).getTime(), instant, 'the local time entered is the instant stored');

  await shot(page, 'grid-edited');
  assert.deepEqual(realErrors(page), []);
  await page.context().close();
});

test('scenario 11: export downloads the table as CSV; importing two rows adds two', async () => {
  await server.api('/api/database/records/todos', { method: 'POST', body: [{ title: 'second, with "quotes"', done: false }] });
  const before = await records('todos');
  const page = await newPage(browser, server);
  await login(page, server);
  await openSection(page, 'Tables');
  await openTable(page, 'todos');
  await countText(page).filter({ hasText: `of ${before.length} rows` }).waitFor();

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  assert.equal(download.suggestedFilename(), 'todos.csv');
  const csv = readFileSync(await download.path(), 'utf8');
  const lines = csv.trim().split('\n');
  assert.equal(lines[0], 'id,title,done,note,meta,author_id,created_at');
  assert.equal(lines.length, 1 + before.length);
  for (const r of before) assert.ok(csv.includes(r.id), `the export has row ${r.id}`);
  assert.ok(csv.includes('"second, with ""quotes"""'), 'values are CSV-quoted');

  const dir = mkdtempSync(join(tmpdir(), 'grid-csv-'));
  const file = join(dir, 'two.csv');
  writeFileSync(file, 'title,done,note\nimported one,true,\nimported two,false,hello\n');
  await page.getByLabel('Import CSV').setInputFiles(file);
  await page.getByRole('region', { name: 'Rows of todos' }).getByRole('status').filter({ hasText: 'Imported 2 rows from two.csv.' }).waitFor();
  await countText(page).filter({ hasText: `of ${before.length + 2} rows` }).waitFor();
  const after = await records('todos');
  assert.equal(after.length, before.length + 2);
  const one = after.find((r) => r.title === 'imported one');
  assert.equal(one.done, true);
  assert.equal(one.note, null, 'an empty CSV field is NULL');

  // A bad file writes nothing and says why.
  writeFileSync(file, 'title,nope\nx,y\n');
  await page.getByLabel('Import CSV').setInputFiles(file);
  await page.getByRole('region', { name: 'Rows of todos' }).getByRole('status').filter({ hasText: 'Import failed' }).waitFor();
  assert.equal((await records('todos')).length, before.length + 2);
  await shot(page, 'grid-csv');
  await page.context().close();
});

test('sort (shift for several), search, filter and paging show what the API answers', async () => {
  const page = await newPage(browser, server);
  await login(page, server);
  await openSection(page, 'Tables');
  await openTable(page, 'people');
  await countText(page).filter({ hasText: '1–50 of 120 rows' }).waitFor();
  await idsShown(page, (await gridApi('people', { limit: 50 })).map((r) => r.id));

  const header = (name) => page.locator('thead').getByRole('button', { name, exact: true });
  await header('age').click();
  await header('name').click({ modifiers: ['Shift'] });
  const bothAsc = (await gridApi('people', { limit: 50, sort: 'age:asc,name:asc' })).map((r) => r.id);
  await idsShown(page, bothAsc);
  assert.equal(await page.locator('th[aria-sort="ascending"]').innerText().then((t) => t.split(/\s/)[0]), 'age');
  await header('name').click({ modifiers: ['Shift'] });
  await idsShown(page, (await gridApi('people', { limit: 50, sort: 'age:asc,name:desc' })).map((r) => r.id));
  await header('age').click();
  await idsShown(page, (await gridApi('people', { limit: 50, sort: 'age:desc' })).map((r) => r.id));
  await shot(page, 'grid-sorted');

  await page.getByLabel('Search rows').fill('person 11');
  const found = await gridApi('people', { limit: 50, sort: 'age:desc', search: 'person 11' });
  assert.equal(found.length, 11);
  await idsShown(page, found.map((r) => r.id));
  await countText(page).filter({ hasText: '1–11 of 11 rows' }).waitFor();
  await page.getByLabel('Search rows').fill('');

  await page.getByLabel('Filter column').selectOption('age');
  await page.getByLabel('Filter value').fill('7');
  await page.getByRole('button', { name: 'Filter', exact: true }).click();
  const filtered = await gridApi('people', { limit: 50, sort: 'age:desc', filterColumn: 'age', filterValue: '7' });
  assert.deepEqual(filtered.map((r) => r.id).sort((a, b) => a - b), [7, 57, 107]);
  await idsShown(page, filtered.map((r) => r.id));
  assert.match(page.url(), /filterColumn=age&filterValue=7/);
  await page.getByRole('button', { name: 'Clear filter' }).click();
  await countText(page).filter({ hasText: '1–50 of 120 rows' }).waitFor();

  await header('age').click(); // desc → unsorted
  await page.getByLabel('Rows per page').selectOption('100');
  await countText(page).filter({ hasText: '1–100 of 120 rows' }).waitFor();
  await page.getByRole('button', { name: 'Next page' }).click();
  await countText(page).filter({ hasText: '101–120 of 120 rows' }).waitFor();
  await idsShown(page, (await gridApi('people', { limit: 100, offset: 100 })).map((r) => r.id));
  assert.ok(await page.getByRole('button', { name: 'Next page' }).isDisabled());
  await page.getByRole('button', { name: 'Previous page' }).click();
  await countText(page).filter({ hasText: '1–100 of 120 rows' }).waitFor();
  assert.deepEqual(realErrors(page), []);
  await page.context().close();
});

test('multi-row delete asks first, then deletes exactly the selected rows', async () => {
  const page = await newPage(browser, server);
  await login(page, server);
  await openSection(page, 'Tables');
  await openTable(page, 'people');
  await countText(page).filter({ hasText: 'of 120 rows' }).waitFor();
  const shown = await columnTexts(page, 'id');
  await page.getByRole('checkbox', { name: 'Select row 2', exact: true }).check();
  await page.getByRole('checkbox', { name: 'Select row 3', exact: true }).check();
  await page.getByRole('button', { name: 'Delete selected (2)' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete rows' });
  await dialog.getByText('Delete 2 rows of people?').waitFor();
  await shot(page, 'grid-delete-confirm');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  assert.equal((await records('people')).length, 120, 'cancel deletes nothing');
  await page.getByRole('button', { name: 'Delete selected (2)' }).click();
  await dialog.getByRole('button', { name: 'Delete 2 rows' }).click();
  await countText(page).filter({ hasText: 'of 118 rows' }).waitFor();
  const left = (await records('people')).map((r) => String(r.id));
  assert.equal(left.length, 118);
  assert.ok(!left.includes(shown[1]) && !left.includes(shown[2]), 'the selected rows are gone');
  assert.ok(left.includes(shown[0]) && left.includes(shown[3]), 'the others stay');
  await page.context().close();
});

test('a foreign key cell previews the referenced row and jumps to it, filtered', async () => {
  await server.api('/api/database/records/todos', { method: 'POST', body: [{ title: 'by grace', author_id: 2 }] });
  const page = await newPage(browser, server);
  await login(page, server);
  await openSection(page, 'Tables');
  await openTable(page, 'todos');
  await page.getByLabel('Search rows').fill('by grace');
  await countText(page).filter({ hasText: '1–1 of 1 rows' }).waitFor();
  await page.getByRole('button', { name: 'Preview authors row of author_id in row 1' }).click();
  const pop = page.getByRole('region', { name: 'authors where id = 2' });
  await pop.getByText('Grace').waitFor();
  await shot(page, 'grid-fk-preview');
  await pop.getByRole('button', { name: 'Close' }).click();
  await page.getByRole('button', { name: 'Open authors row of author_id in row 1' }).click();
  await page.waitForURL(/table=authors/);
  assert.match(page.url(), /filterColumn=id&filterValue=2/);
  await page.getByRole('region', { name: 'Rows of authors' }).waitFor();
  await countText(page).filter({ hasText: '1–1 of 1 rows' }).waitFor();
  assert.deepEqual(await columnTexts(page, 'name'), ['Grace']);
  assert.equal(await page.getByLabel('Filter value').inputValue(), '2');
  await page.goBack();
  await page.getByRole('region', { name: 'Rows of todos' }).waitFor();
  await page.goForward();
  await page.getByRole('region', { name: 'Rows of authors' }).waitFor();
  await countText(page).filter({ hasText: '1–1 of 1 rows' }).waitFor();
  // Another table picked from the list does not inherit the filter.
  await openTable(page, 'todos');
  const all = (await records('todos')).length;
  await countText(page).filter({ hasText: `1–${all} of ${all} rows` }).waitFor();
  assert.doesNotMatch(page.url(), /filterColumn/);
  assert.deepEqual(realErrors(page), []);
  await page.context().close();
});

test('1,000,000 rows: estimated count, exact on demand, the first page marked; long cells cut; narrow and dark', async () => {
  server.sql(`create table public.big (id int primary key, label text, body text);
    insert into public.big select g, 'row ' || g, case when g = 1 then repeat('long text ', 100) end from generate_series(1, 1000000) g;
    analyze public.big;`);
  const page = await newPage(browser, server);
  await login(page, server);
  await openSection(page, 'Tables');
  await openTable(page, 'authors');
  await countText(page).filter({ hasText: 'of 2 rows' }).waitFor();

  // From the click to the first page rendered (the grid marks `grid-first-page`). Timing is
  // reported, not asserted: bench/dashboard measures it on a release build.
  await page.evaluate(() => (window.__t0 = performance.now()));
  await page.getByRole('region', { name: 'Tables' }).getByRole('link', { name: 'big', exact: true }).click();
  await page.getByRole('button', { name: 'Edit id of row 1', exact: true }).waitFor();
  const ms = await page.evaluate(() => {
    const m = performance.getEntriesByName('grid-first-page').filter((e) => e.startTime > window.__t0).at(-1);
    return m ? m.startTime - window.__t0 : null;
  });
  assert.ok(ms !== null, 'the grid marked its first page');
  console.log(`# 1,000,000-row table: navigation → first page rendered in ${ms.toFixed(0)} ms`);

  // A full load of the page (scripts, session refresh, schema and first page), from navigation start.
  await page.goto('/dashboard/tables?table=big');
  await page.getByRole('button', { name: 'Edit id of row 1', exact: true }).waitFor();
  const loadMs = await page.evaluate(() => performance.getEntriesByName('grid-first-page').at(-1)?.startTime ?? null);
  assert.ok(loadMs !== null, 'the grid marked its first page after a full load');
  console.log(`# 1,000,000-row table: full page load → first page rendered in ${loadMs.toFixed(0)} ms`);

  const count = countText(page);
  await count.filter({ hasText: '≈' }).waitFor();
  const estimate = Number((await count.innerText()).match(/≈ ([\d,]+) rows/)[1].replaceAll(',', ''));
  assert.ok(estimate > 500_000 && estimate < 2_000_000, `estimate ${estimate}`);
  const body = await page.getByRole('button', { name: 'Edit body of row 1', exact: true }).innerText();
  assert.ok(body.length <= 121 && body.endsWith('…'), `a long cell is cut: ${body.length}`);
  await page.getByRole('button', { name: 'Edit body of row 1', exact: true }).click();
  assert.equal(await page.getByLabel('body value', { exact: true }).inputValue(), 'long text '.repeat(100), 'the editor has it whole');
  await page.keyboard.press('Escape');
  await shot(page, 'grid-big-estimated');

  await page.getByRole('button', { name: 'Count exactly' }).click();
  await count.filter({ hasText: '1–50 of 1,000,000 rows' }).waitFor();
  assert.ok(!(await count.innerText()).includes('≈'));
  await page.context().close();

  // Narrow and dark: the grid scrolls inside its box, the page does not scroll sideways.
  const narrow = await newPage(browser, server, { width: 390, height: 844 });
  await narrow.emulateMedia({ colorScheme: 'dark' });
  await login(narrow, server);
  await narrow.goto('/dashboard/tables?table=todos');
  await narrow.getByRole('region', { name: 'Rows of todos' }).waitFor();
  await countText(narrow).filter({ hasText: 'rows' }).waitFor();
  const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, 'the grid page scrolls sideways at 390 px');
  await shot(narrow, 'grid-narrow-dark');
  await narrow.context().close();
});
