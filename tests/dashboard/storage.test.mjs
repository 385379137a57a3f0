// Storage: buckets, folders, uploads by drop and by picker with progress, downloads, public URLs,
// visibility, multi-select delete, the upload size limit, bucket deletion and S3 access keys (used
// with the AWS CLI as the page shows them) — each checked through the API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { useOxforge, newPage, login, shot, openSection, copied } from './harness.mjs';

let server, browser, page;
useOxforge(async (s, b) => {
  [server, browser] = [s, b];
  page = await newPage(browser, server, { permissions: ['clipboard-read', 'clipboard-write'] });
  await login(page, server);
});

const textFile = Buffer.from('hello from the storage test\nsecond line ✓\n');
const binFile = randomBytes(300 * 1024 + 17);
const picFile = randomBytes(40 * 1024);

/** The stored bytes of an object, read with the API key. */
async function bytesOf(bucket, key) {
  const res = await fetch(`${server.url}/api/storage/buckets/${bucket}/objects/${encodeURIComponent(key)}`, {
    headers: { Authorization: `Bearer ${server.apiKey}` },
  });
  assert.equal(res.status, 200, `GET ${bucket}/${key}`);
  return Buffer.from(await res.arrayBuffer());
}
const bucketsNow = async () => Object.fromEntries((await server.api('/api/storage/buckets')).map((b) => [b.name, b.public]));
const keysIn = async (bucket) => (await server.api(`/api/storage/buckets/${bucket}/objects?limit=1000`)).data.map((o) => o.key).sort();
const bucketButton = (name) => page.getByRole('list', { name: 'Buckets' }).getByRole('button', { name: new RegExp(`^${name}\\b`) });

/** Waits until the upload of `key` shows 100% and its bar is full. */
async function uploaded(key) {
  const item = page.getByRole('list', { name: 'Uploads' }).getByRole('listitem').filter({ hasText: key });
  await item.getByText('100%').waitFor();
  const value = await item.getByRole('progressbar', { name: `Upload of ${key}` }).evaluate((p) => p.value);
  assert.equal(value, 1, `the bar of ${key} is full`);
}

test('buckets: a private and a public one are created', async () => {
  // The page is in the Ctrl+K palette.
  await page.keyboard.press('Control+k');
  const palette = page.getByRole('dialog', { name: 'Command palette' });
  await page.keyboard.type('stora');
  await palette.getByRole('option', { name: /Storage/ }).waitFor();
  await page.keyboard.press('Enter');
  await page.waitForURL(/\/dashboard\/storage$/);
  await palette.waitFor({ state: 'detached' });
  await page.getByRole('heading', { name: 'Storage', exact: true }).waitFor();
  await page.getByLabel('New bucket name').fill('files');
  await page.getByRole('button', { name: 'Create bucket' }).click();
  await bucketButton('files').waitFor();
  await page.getByLabel('New bucket name').fill('pics');
  await page.getByLabel('Public', { exact: true }).check();
  await page.getByRole('button', { name: 'Create bucket' }).click();
  await bucketButton('pics').waitFor();
  assert.deepEqual(await bucketsNow(), { files: false, pics: true });

  // A bad name: the server's message is shown.
  await page.getByLabel('New bucket name').fill('files');
  await page.getByRole('button', { name: 'Create bucket' }).click();
  await page.getByRole('alert').filter({ hasText: 'Bucket "files" already exists' }).waitFor();
});

test('upload: two files dropped into docs/ show under the folder, bytes equal, download equals', async () => {
  await bucketButton('files').click();
  await page.getByRole('heading', { name: 'files', exact: true }).waitFor();
  await page.getByLabel('Folder name').fill('docs');
  await page.getByRole('button', { name: 'Open folder' }).click();
  await page.getByRole('navigation', { name: 'Folder path' }).getByRole('button', { name: 'docs' }).waitFor();
  assert.match(page.url(), /bucket=files&prefix=docs%2F/);

  const dt = await page.evaluateHandle(
    (files) => {
      const dt = new DataTransfer();
      for (const f of files) {
        const bytes = Uint8Array.from(atob(f.b64), (c) => c.charCodeAt(0));
        dt.items.add(new File([bytes], f.name, { type: f.type }));
      }
      return dt;
    },
    [
      { name: 'a.txt', type: 'text/plain', b64: textFile.toString('base64') },
      { name: 'b.bin', type: 'application/octet-stream', b64: binFile.toString('base64') },
    ],
  );
  const zone = page.getByRole('region', { name: 'Drop files to upload' });
  await zone.dispatchEvent('dragover', { dataTransfer: dt });
  await zone.dispatchEvent('drop', { dataTransfer: dt });
  await uploaded('docs/a.txt');
  await uploaded('docs/b.bin');

  const table = page.getByRole('table', { name: 'Objects' });
  await table.locator('tr[data-key="docs/b.bin"]').waitFor();
  await table.locator('tr[data-key="docs/a.txt"]').getByText('a.txt').waitFor();
  await table.locator('tr[data-key="docs/b.bin"]').getByText('300 KB').waitFor();
  assert.deepEqual(await keysIn('files'), ['docs/a.txt', 'docs/b.bin']);
  assert.ok((await bytesOf('files', 'docs/a.txt')).equals(textFile), 'a.txt stored as sent');
  assert.ok((await bytesOf('files', 'docs/b.bin')).equals(binFile), 'b.bin stored as sent');

  // At the root the files are inside a folder; the breadcrumb and the folder row lead back.
  await page.getByRole('navigation', { name: 'Folder path' }).getByRole('button', { name: 'files' }).click();
  await table.locator('tr[data-folder="docs/"]').waitFor();
  assert.equal(await table.locator('tr[data-key]').count(), 0, 'no file at the root');
  await shot(page, 'storage-root');
  await page.getByRole('button', { name: 'Open folder docs/' }).click();
  await table.locator('tr[data-key="docs/a.txt"]').waitFor();

  // Search within the folder.
  await page.getByLabel('Search objects').fill('b.b');
  await table.locator('tr[data-key="docs/a.txt"]').waitFor({ state: 'detached' });
  await table.locator('tr[data-key="docs/b.bin"]').waitFor();
  await page.getByLabel('Search objects').fill('');
  await table.locator('tr[data-key="docs/a.txt"]').waitFor();

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download docs/b.bin' }).click()]);
  assert.equal(download.suggestedFilename(), 'b.bin');
  assert.ok((await readFile(await download.path())).equals(binFile), 'the download equals the file');
  await shot(page, 'storage-uploaded');
});

test('public bucket: a picked file has a URL readable without credentials, until the bucket is made private', async () => {
  await bucketButton('pics').click();
  await page.getByRole('heading', { name: 'pics', exact: true }).waitFor();
  // The first try is answered 401 (as when the access token has expired): the upload refreshes
  // the session once and sends again.
  let refreshes = 0;
  const count = (r) => r.url().endsWith('/api/auth/admin/refresh') && refreshes++;
  page.on('request', count);
  await page.route(
    '**/api/storage/buckets/pics/objects/pic.png',
    (route) => route.fulfill({ status: 401, contentType: 'application/json', body: '{"error":"INVALID_TOKEN","message":"Token expired"}' }),
    { times: 1 },
  );
  await page.getByLabel('Choose files').setInputFiles({ name: 'pic.png', mimeType: 'image/png', buffer: picFile });
  await uploaded('pic.png');
  page.off('request', count);
  assert.equal(refreshes, 1, 'one refresh after the 401');
  assert.deepEqual(await keysIn('pics'), ['pic.png']);
  const url = await copied(page, 'Copy public URL of pic.png');
  assert.ok(url.startsWith(server.url + '/api/storage/buckets/pics/objects/pic.png'), url);
  const open = await fetch(url);
  assert.equal(open.status, 200);
  assert.ok(Buffer.from(await open.arrayBuffer()).equals(picFile), 'the public URL serves the file');

  await page.getByRole('button', { name: 'Make private' }).click();
  await page.getByRole('button', { name: 'Make public' }).waitFor();
  assert.deepEqual(await bucketsNow(), { files: false, pics: false });
  const closed = await fetch(url);
  assert.ok([401, 403, 404].includes(closed.status), `a private object answered ${closed.status} without credentials`);
  assert.equal(await page.getByRole('button', { name: 'Copy public URL of pic.png' }).count(), 0, 'no public URL in a private bucket');

  await page.getByRole('button', { name: 'Make public' }).click();
  await page.getByRole('button', { name: 'Make private' }).waitFor();
  assert.deepEqual(await bucketsNow(), { files: false, pics: true });
});

test('multi-select delete removes the chosen objects', async () => {
  await bucketButton('files').click();
  await page.getByRole('button', { name: 'Open folder docs/' }).click();
  await page.getByLabel('Select docs/a.txt').check();
  await page.getByLabel('Select docs/b.bin').check();
  await page.getByRole('button', { name: 'Delete selected (2)' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete 2 files?' });
  await dialog.getByText('docs/b.bin').waitFor();
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await dialog.waitFor({ state: 'detached' });
  await page.getByText('This folder is empty.').waitFor();
  assert.deepEqual(await keysIn('files'), []);
  assert.deepEqual(await keysIn('pics'), ['pic.png'], 'the other bucket is untouched');
});

test('size limit: 1 MB is saved, a 2 MB upload is refused with the server message', async () => {
  await page.getByLabel('Largest upload (MB)').fill('1');
  await page.getByRole('button', { name: 'Save limit' }).click();
  await page.getByText('Uploads are now limited to 1 MB').waitFor();
  assert.equal((await server.api('/api/storage/config')).maxFileSizeMb, 1);

  await page.getByLabel('Choose files').setInputFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: randomBytes(2 * 1024 * 1024) });
  const item = page.getByRole('list', { name: 'Uploads' }).getByRole('listitem').filter({ hasText: 'docs/big.bin' });
  await item.getByRole('alert').filter({ hasText: 'File too large. Maximum upload size is 1 MB.' }).waitFor();
  await item.getByText('failed').waitFor();
  await shot(page, 'storage-too-large');
  assert.deepEqual(await keysIn('files'), [], 'nothing was stored');
});

test('a bucket is deleted only after its name is typed', async () => {
  await page.getByRole('button', { name: 'Delete bucket' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete bucket files?' });
  const confirm = dialog.getByRole('button', { name: 'Delete bucket' });
  assert.ok(await confirm.isDisabled(), 'the confirm button waits for the name');
  await dialog.getByLabel('Type files to confirm').fill('file');
  assert.ok(await confirm.isDisabled());
  await dialog.getByLabel('Type files to confirm').fill('files');
  await confirm.click();
  await dialog.waitFor({ state: 'detached' });
  await bucketButton('files').waitFor({ state: 'detached' });
  assert.deepEqual(await bucketsNow(), { pics: true });
});

/** `aws s3 ls` with the settings the page printed: its exit status and output. */
async function awsList(settings) {
  const env = { ...process.env, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
  for (const line of settings.split('\n')) {
    const m = /^export (\w+)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2];
  }
  const command = settings.split('\n').find((l) => l.startsWith('aws '));
  assert.ok(command, `no aws command in ${settings}`);
  const [, ...args] = command.split(' ');
  try {
    const { stdout } = await promisify(execFile)('aws', args, { env, timeout: 60_000 });
    return { ok: true, out: stdout };
  } catch (e) {
    return { ok: false, out: `${e.stdout}${e.stderr}` };
  }
}

test('S3 access keys: the secret is shown once, the printed settings work with the AWS CLI, a deleted key stops working', async () => {
  const card = page.getByRole('region', { name: 'S3 access keys' });
  await card.getByText('No access keys yet.').waitFor();
  assert.equal(await card.getByTestId('s3-endpoint').textContent(), `${server.url}/storage/v1/s3`);
  await card.getByLabel('Description').fill('nightly backups');
  await card.getByRole('button', { name: 'Create access key' }).click();
  const box = card.getByRole('status', { name: 'New access key' });
  await box.waitFor();
  const id = await box.getByTestId('new-key-id').textContent();
  const secret = await box.getByTestId('new-key-secret').textContent();
  assert.match(id, /^INSF[A-Z0-9]{16}$/);
  assert.equal(secret.length, 40);
  const settings = await copied(page, 'Copy settings');
  assert.ok(settings.includes(`AWS_SECRET_ACCESS_KEY=${secret}`), settings);
  await card.locator(`tr[data-key="${id}"]`).getByText('nightly backups').waitFor();
  await shot(page, 'storage-s3-keys');

  const listed = await awsList(settings);
  assert.ok(listed.ok && /\bpics\b/.test(listed.out), `aws s3 ls with the printed settings: ${listed.out}`);

  // Done hides the secret for good; the list never had it.
  await box.getByRole('button', { name: 'Done' }).click();
  await box.waitFor({ state: 'detached' });
  assert.equal(await page.getByText(secret).count(), 0, 'the secret is gone from the page');
  const keys = await server.api('/api/storage/s3/access-keys');
  assert.deepEqual(keys.map((k) => [k.accessKeyId, k.description, 'secretAccessKey' in k]), [[id, 'nightly backups', false]]);

  await card.getByRole('button', { name: `Delete ${id}` }).click();
  const dialog = page.getByRole('dialog', { name: `Delete access key ${id}?` });
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await dialog.waitFor({ state: 'detached' });
  await card.getByText('No access keys yet.').waitFor();
  const refused = await awsList(settings);
  assert.ok(!refused.ok && refused.out.includes('InvalidAccessKeyId'), refused.out);
});

test('narrow and dark: storage fits 390 px', async () => {
  const narrow = await newPage(browser, server, { width: 390, height: 844 });
  await login(narrow, server);
  await narrow.getByRole('button', { name: 'Menu' }).click();
  await narrow.getByLabel('Theme').selectOption('dark');
  await openSection(narrow, 'Storage');
  await narrow.getByRole('list', { name: 'Buckets' }).getByRole('button', { name: /^pics\b/ }).click();
  await narrow.getByRole('table', { name: 'Objects' }).locator('tr[data-key="pic.png"]').waitFor();
  await narrow.getByLabel('Choose files').setInputFiles({ name: 'notes-with-a-rather-long-name.txt', mimeType: 'text/plain', buffer: textFile });
  await narrow.getByRole('list', { name: 'Uploads' }).getByText('100%').waitFor();
  await narrow.waitForLoadState('networkidle');
  const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(overflow, 0, 'storage scrolls sideways at 390 px');
  await shot(narrow, 'storage-narrow-dark');
  // The shell's start-up session check answers 401 before the sign-in.
  assert.deepEqual(narrow.errors.filter((e) => !/the server responded with a status of 401\b/.test(e)), []);
  await narrow.context().close();
  // Only the refusals the tests asked for (409 bucket exists, 413 too large) and the start-up
  // session check (401) may show.
  assert.deepEqual(page.errors.filter((e) => !/the server responded with a status of (401|409|413)\b/.test(e)), []);
});
