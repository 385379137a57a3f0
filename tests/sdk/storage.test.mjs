// The real @insforge/sdk@1.5.2 storage module against oxforge, once on local disk and once on
// SeaweedFS (S3, proxy mode): uploads (direct and uploadAuto), downloads (and the legacy POST
// fallback), public and signed URLs, listing, removal, odd keys, replace, owner isolation with
// Auth0-shaped tokens, the size limit, Range and HTML served safely, and the Auth0 guide's todos
// with an attachment each (kept on the row, private to its owner). No `weed` fails the S3 run.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import jwt from 'jsonwebtoken';
import { createClient } from '@insforge/sdk';
import { startOxforge, startSeaweedFs } from './harness.mjs';

let ox;
let admin;
let alice;
let bob;
let anon;

const sign = (sub) =>
  jwt.sign({ sub, role: 'authenticated', aud: 'insforge-api', email: `${sub.split('|')[1]}@example.com` }, ox.jwtSecret, { expiresIn: '1h' });

async function api(method, path, body) {
  const res = await fetch(`${ox.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${ox.apiKey}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

let seaweed;
after(async () => {
  await seaweed?.stop();
});

for (const backend of ['local', 's3', 's3-presigned']) describe(`storage on ${backend}`, () => {
  before(async () => {
    ox = await startOxforge({ env: backend === 'local' ? {} : (seaweed ??= await startSeaweedFs()).env(`sdk-${backend}`, backend === 's3-presigned') });
    admin = createClient({ baseUrl: ox.url, accessToken: ox.apiKey });
    alice = createClient({ baseUrl: `${ox.url}/`, edgeFunctionToken: sign('auth0|alice') });
    bob = createClient({ baseUrl: ox.url, edgeFunctionToken: sign('auth0|bob') });
    anon = createClient({ baseUrl: ox.url, anonKey: ox.anonKey });
    assert.equal((await api('POST', '/api/storage/buckets', { bucketName: 'public-files', isPublic: true })).status, 201);
    assert.equal((await api('POST', '/api/storage/buckets', { bucketName: 'attachments', isPublic: false })).status, 201);
  });

  after(async () => {
    await ox?.stop();
  });

  /** The data of an SDK answer that must have succeeded. */
  const must = (r) => {
    assert.equal(r.error, null, JSON.stringify(r.error));
    return r.data;
  };
  const text = (s, type = 'text/plain') => new Blob([s], { type });
  const presigned = backend === 's3-presigned';

  test('upload, download, replace and remove with odd keys', async () => {
    const files = alice.storage.from('attachments');
    for (const key of ['notes/todo 1.txt', 'a/b/c/ü €.txt', "it's (1)+[2].txt"]) {
      let r = await files.upload(key, text(`content of ${key}`));
      assert.equal(r.error, null, JSON.stringify(r.error));
      assert.equal(r.data.key, key);
      assert.equal(r.data.bucket, 'attachments');
      assert.equal(r.data.size, new TextEncoder().encode(`content of ${key}`).length);
      assert.equal(r.data.mimeType, 'text/plain');
      assert.match(r.data.url, /^http:\/\/127\.0\.0\.1:\d+\/api\/storage\/buckets\/attachments\/objects\/.+\?v=[0-9a-f]{32}$/);
      r = await files.download(key);
      assert.equal(r.error, null, JSON.stringify(r.error));
      assert.equal(await r.data.text(), `content of ${key}`);
      assert.equal(r.data.type, 'text/plain');
    }
    // Replace: same key, new content.
    let r = await files.upload('notes/todo 1.txt', text('second version'));
    assert.equal(r.error, null);
    r = await files.download('notes/todo 1.txt');
    assert.equal(await r.data.text(), 'second version');

    r = await files.remove('notes/todo 1.txt');
    assert.deepEqual(r, { data: { message: 'Object deleted successfully' }, error: null });
    r = await files.download('notes/todo 1.txt');
    assert.equal(r.data, null);
    assert.equal(r.error.statusCode, 404);
    r = await files.remove(['a/b/c/ü €.txt', 'missing.txt', "it's (1)+[2].txt"]);
    assert.equal(r.error, null);
    assert.deepEqual(r.data.results, [
      { key: 'a/b/c/ü €.txt', status: 'deleted' },
      { key: 'missing.txt', status: 'notFound' },
      { key: "it's (1)+[2].txt", status: 'deleted' },
    ]);
  });

  test('uploadAuto generates the key client-side; download falls back to the legacy POST route', async () => {
    const files = alice.storage.from('attachments');
    const file = new File(['auto!'], 'My Report.final.pdf', { type: 'application/pdf' });
    let r = await files.uploadAuto(file);
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.match(r.data.key, /^My-Report-final-\d+-[0-9a-z]{1,6}\.pdf$/);
    const key = r.data.key;

    // A backend without the GET strategy route (404): the SDK re-asks with POST …/download-strategy.
    const seen = [];
    const legacy = createClient({
      baseUrl: ox.url,
      edgeFunctionToken: sign('auth0|alice'),
      fetch: (url, init) => {
        seen.push(`${init?.method ?? 'GET'} ${new URL(url).pathname}`);
        if ((init?.method ?? 'GET') === 'GET' && String(url).includes('/download-strategy/objects/')) {
          return Promise.resolve(new Response(JSON.stringify({ error: 'NOT_FOUND', message: 'gone', statusCode: 404 }), { status: 404, headers: { 'content-type': 'application/json' } }));
        }
        return fetch(url, init);
      },
    });
    r = await legacy.storage.from('attachments').download(key);
    assert.equal(r.error, null, JSON.stringify(r.error));
    assert.equal(await r.data.text(), 'auto!');
    assert.ok(seen.some((s) => s.startsWith('POST ') && s.endsWith('/download-strategy')), seen.join('\n'));
  });

  test('public URLs need no credential; signed URLs; private objects need one', async () => {
    const pub = alice.storage.from('public-files');
    let r = await pub.upload('logo.txt', text('public bytes'));
    assert.equal(r.error, null);
    const { data } = pub.getPublicUrl('logo.txt');
    // The trailing slash in alice's baseUrl gives `//api/…`, which oxforge routes.
    assert.ok(data.publicUrl.includes('//api/storage/buckets/public-files/objects/logo.txt'), data.publicUrl);
    let res = await fetch(data.publicUrl);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'public bytes');
    res = await fetch(data.publicUrl, { headers: { Authorization: 'Bearer broken' } });
    assert.equal(res.status, 200, 'a broken token is ignored on public reads');

    r = await pub.createSignedUrl('logo.txt', 60);
    assert.equal(r.error, null);
    if (presigned) {
      // Public buckets: 7 days, whatever expiresIn says.
      const days = (new Date(r.data.expiresAt) - Date.now()) / 86_400_000;
      assert.ok(days > 6.9 && days <= 7, r.data.expiresAt);
      assert.ok(r.data.signedUrl.startsWith(seaweed.endpoint), r.data.signedUrl);
    } else {
      assert.equal(r.data.expiresAt, null);
    }
    res = await fetch(r.data.signedUrl);
    assert.equal(await res.text(), 'public bytes');

    const priv = alice.storage.from('attachments');
    await priv.upload('secret.txt', text('private bytes'));
    r = await priv.createSignedUrl('secret.txt');
    assert.equal(r.error, null);
    if (presigned) {
      // A presigned S3 URL: no token needed, for the requested time (default 1 h).
      assert.ok(r.data.signedUrl.startsWith(`${seaweed.endpoint}/${seaweed.bucket}/sdk-s3-presigned/attachments/secret.txt?`), r.data.signedUrl);
      const minutes = (new Date(r.data.expiresAt) - Date.now()) / 60_000;
      assert.ok(minutes > 59 && minutes <= 60, r.data.expiresAt);
      res = await fetch(r.data.signedUrl);
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'private bytes');
      res = await fetch(r.data.signedUrl.replace(/X-Amz-Signature=[0-9a-f]+/, `X-Amz-Signature=${'0'.repeat(64)}`));
      assert.equal(res.status, 403, 'SeaweedFS checks the signature');
      r = await priv.createSignedUrl('secret.txt', 30);
      const seconds = (new Date(r.data.expiresAt) - Date.now()) / 1000;
      assert.ok(seconds > 25 && seconds <= 30, r.data.expiresAt);
      // The object route answers with a redirect to a presigned URL.
      res = await fetch(`${ox.url}/api/storage/buckets/attachments/objects/secret.txt`, { headers: { Authorization: `Bearer ${sign('auth0|alice')}` }, redirect: 'manual' });
      assert.equal(res.status, 302);
      assert.ok(res.headers.get('location').startsWith(seaweed.endpoint));
      res = await fetch(`${ox.url}/api/storage/buckets/attachments/objects/secret.txt`, { redirect: 'manual' });
      assert.equal(res.status, 401, 'no redirect without the token');
    } else {
      assert.match(r.data.signedUrl, /\/objects\/secret\.txt\?v=[0-9a-f]{32}$/);
      res = await fetch(r.data.signedUrl);
      assert.equal(res.status, 401, 'a direct URL of a private bucket needs the token');
      res = await fetch(r.data.signedUrl, { headers: { Authorization: `Bearer ${sign('auth0|alice')}` } });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('cache-control'), 'private, no-store');
    }
    r = await priv.createSignedUrl('nope.txt');
    assert.equal(r.error.error, 'STORAGE_NOT_FOUND');

    r = await anon.storage.from('attachments').download('secret.txt');
    assert.equal(r.error.statusCode, 403);
    r = await anon.storage.from('attachments').list();
    assert.equal(r.error.statusCode, 403);
    r = await anon.storage.from('attachments').upload('anon.txt', text('x'));
    assert.equal(r.error.statusCode, 403);
  });

  test('list with prefix, search and paging', async () => {
    const files = alice.storage.from('attachments');
    for (const name of ['docs/1.txt', 'docs/2.txt', 'docs/3.txt', 'img/cat.txt']) {
      assert.equal((await files.upload(name, text(name))).error, null);
    }
    let r = await files.list({ prefix: 'docs/', limit: 2, offset: 1 });
    assert.equal(r.error, null);
    assert.deepEqual(r.data.data.map((o) => o.key), ['docs/2.txt', 'docs/3.txt']);
    assert.deepEqual(r.data.pagination, { offset: 1, limit: 2, total: 3 });
    assert.equal(r.data.data[0].mimeType, 'text/plain');
    assert.match(r.data.data[0].url, /\?v=/);
    r = await files.list({ search: 'cat' });
    assert.deepEqual(r.data.data.map((o) => o.key), ['img/cat.txt']);
    r = await files.list({ limit: 0 });
    assert.equal(r.data.pagination.limit, 100);
  });

  test('owner isolation: Auth0 users cannot read, overwrite or delete each other’s files', async () => {
    const mine = alice.storage.from('attachments');
    const theirs = bob.storage.from('attachments');
    assert.equal((await mine.upload('shared-name.txt', text('alice wrote this'))).error, null);

    let r = await theirs.download('shared-name.txt');
    assert.equal(r.error.statusCode, 404);
    r = await theirs.upload('shared-name.txt', text('bob overwrote it'));
    assert.equal(r.error.statusCode, 403);
    assert.equal(r.error.error, 'STORAGE_PERMISSION_DENIED');
    r = await theirs.remove('shared-name.txt');
    assert.equal(r.error.statusCode, 404);
    r = await theirs.remove(['shared-name.txt']);
    assert.deepEqual(r.data.results, [{ key: 'shared-name.txt', status: 'notFound' }]);
    r = await theirs.list();
    assert.equal(r.data.pagination.total, 0);

    r = await mine.download('shared-name.txt');
    assert.equal(await r.data.text(), 'alice wrote this');
    // The admin sees everything, owner kept.
    r = await admin.storage.from('attachments').list({ search: 'shared-name' });
    assert.equal(r.data.data[0].uploaded_by, 'auth0|alice');
  });

  if (presigned) test('presigned uploads: a SigV4 POST policy S3 checks, then confirm', async () => {
    const token = sign('auth0|alice');
    const strategy = async (body) => {
      const res = await fetch(`${ox.url}/api/storage/buckets/attachments/upload-strategy`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: await res.json() };
    };
    const { status, json: s } = await strategy({ filename: 'form/a.txt', contentType: 'text/plain', size: 5 });
    assert.equal(status, 200);
    assert.equal(s.method, 'presigned');
    assert.equal(s.uploadUrl, `${seaweed.endpoint}/${seaweed.bucket}`);
    assert.deepEqual(Object.keys(s.fields), ['Content-Type', 'bucket', 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'key', 'Policy', 'X-Amz-Signature']);
    assert.equal(s.fields.key, 'sdk-s3-presigned/attachments/form/a.txt');
    assert.equal(s.confirmRequired, true);
    assert.equal(s.confirmUrl, '/api/storage/buckets/attachments/objects/form%2Fa.txt/confirm-upload');
    const policy = JSON.parse(Buffer.from(s.fields.Policy, 'base64').toString());
    assert.deepEqual(policy.conditions.slice(-2), [['eq', '$Content-Type', 'text/plain'], ['content-length-range', 0, 5]]);
    const post = (fields, bytes) => {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      form.append('file', new Blob([bytes], { type: 'text/plain' }));
      return fetch(s.uploadUrl, { method: 'POST', body: form });
    };
    assert.equal((await post(s.fields, 'too long for the policy')).status, 400, 'S3 enforces the length range');
    assert.equal((await post({ ...s.fields, 'X-Amz-Signature': '0'.repeat(64) }, 'hello')).status, 403, 'S3 checks the signature');
    assert.equal((await post(s.fields, 'hello')).status, 204);
    // Not confirmed yet: no row.
    let r = await alice.storage.from('attachments').list({ prefix: 'form/' });
    assert.equal(r.data.pagination.total, 0);
    const confirm = (key, body) => fetch(`${ox.url}/api/storage/buckets/attachments/objects/${encodeURIComponent(key)}/confirm-upload`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    let res = await confirm('form/a.txt', { size: 5, contentType: 'text/plain' });
    assert.equal(res.status, 200);
    const file = await res.json();
    assert.equal(file.size, 5);
    assert.match(file.url, /\?v=5d41402abc4b2a76b9719d911017c592$/, 'the etag is the MD5 S3 reports');
    res = await confirm('form/missing.txt', { size: 5 });
    assert.equal(res.status, 404);
    // Over the cap: refused by the strategy, and by confirm (which deletes the object).
    assert.equal((await api('PUT', '/api/storage/config', { maxFileSizeMb: 1 })).status, 200);
    const big = await strategy({ filename: 'form/big.bin', size: 2 * 1024 * 1024 });
    assert.equal(big.status, 413);
    const ok = await strategy({ filename: 'form/big.bin' });
    assert.deepEqual(JSON.parse(Buffer.from(ok.json.fields.Policy, 'base64').toString()).conditions.at(-1), ['content-length-range', 0, 1024 * 1024]);
    assert.equal((await api('PUT', '/api/storage/config', { maxFileSizeMb: 50 })).status, 200);
    const wide = await strategy({ filename: 'form/big.bin' });
    assert.equal((await post(wide.json.fields, new Uint8Array(1024 * 1024 + 1))).status, 204);
    assert.equal((await api('PUT', '/api/storage/config', { maxFileSizeMb: 1 })).status, 200);
    res = await confirm('form/big.bin', {});
    assert.equal(res.status, 413);
    assert.equal((await api('PUT', '/api/storage/config', { maxFileSizeMb: 50 })).status, 200);
    res = await confirm('form/big.bin', {});
    assert.equal(res.status, 404, 'the refused object was deleted');
  });

  test('the size limit, Range, and HTML served safely', async () => {
    assert.equal((await api('PUT', '/api/storage/config', { maxFileSizeMb: 1 })).status, 200);
    const files = alice.storage.from('attachments');
    let r = await files.upload('big.bin', new Blob([new Uint8Array(1024 * 1024 + 10)]));
    assert.equal(r.error.statusCode, 413);
    assert.equal(r.error.message, 'File too large. Maximum upload size is 1 MB.');
    r = await files.list({ search: 'big.bin' });
    assert.equal(r.data.pagination.total, 0);
    assert.equal((await api('PUT', '/api/storage/config', { maxFileSizeMb: 50 })).status, 200);

    const pub = alice.storage.from('public-files');
    await pub.upload('digits.txt', text('0123456789'));
    const url = pub.getPublicUrl('digits.txt').data.publicUrl;
    let res = await fetch(url, { headers: { Range: 'bytes=2-5' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), 'bytes 2-5/10');
    assert.equal(await res.text(), '2345');
    res = await fetch(url, { headers: { Range: 'bytes=20-' } });
    assert.equal(res.status, 416);
    assert.equal(res.headers.get('content-range'), 'bytes */10');
    const etag = (await fetch(url)).headers.get('etag');
    res = await fetch(url, { headers: { 'If-None-Match': etag } });
    assert.equal(res.status, 304);

    r = await pub.upload('page.html', text('<!doctype html><script>alert(1)</script>', 'text/html'));
    assert.equal(r.error, null);
    assert.equal(r.data.mimeType, 'application/octet-stream');
    res = await fetch(pub.getPublicUrl('page.html').data.publicUrl);
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    // In presigned mode S3 serves the bytes: the type and disposition come from the signed
    // URL (response-content-type/-disposition); S3 cannot add nosniff.
    if (!presigned) assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('content-disposition'), 'attachment');
  });

  test("the Auth0 guide's todos get attachments: uploaded, kept on the row, read back; another user sees neither", async () => {
    // The guide's table (RLS: each user their own rows), plus a column for the attachment's key.
    const sql = `CREATE TABLE IF NOT EXISTS todos (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, title text NOT NULL,
        user_id text NOT NULL DEFAULT (auth.jwt() ->> 'sub'), attachment_key text);
      ALTER TABLE todos ENABLE ROW LEVEL SECURITY;
      DROP POLICY IF EXISTS "Users can manage own todos" ON todos;
      CREATE POLICY "Users can manage own todos" ON todos FOR ALL TO authenticated
        USING (user_id = (auth.jwt() ->> 'sub')) WITH CHECK (user_id = (auth.jwt() ->> 'sub'));`;
    const made = await api('POST', '/api/database/advance/rawsql/unrestricted', { query: sql });
    assert.equal(made.status, 200, JSON.stringify(made.json));

    const todo = must(await alice.database.from('todos').insert([{ title: 'file the receipt' }]).select())[0];
    assert.equal(todo.user_id, 'auth0|alice');
    const receipt = new Blob(['%PDF-1.4 receipt of todo ' + todo.id], { type: 'application/pdf' });
    const stored = must(await alice.storage.from('attachments').upload(`todos/${todo.id}/receipt.pdf`, receipt));
    const updated = must(await alice.database.from('todos').update({ attachment_key: stored.key }).eq('id', todo.id).select());
    assert.equal(updated[0].attachment_key, `todos/${todo.id}/receipt.pdf`);

    // Later: the todo, then its attachment.
    const [again] = must(await alice.database.from('todos').select('id, title, attachment_key').eq('id', todo.id));
    const blob = must(await alice.storage.from('attachments').download(again.attachment_key));
    assert.equal(await blob.text(), '%PDF-1.4 receipt of todo ' + todo.id);

    // Bob: not the row, not the file, cannot replace it.
    assert.deepEqual(must(await bob.database.from('todos').select().eq('id', todo.id)), []);
    const denied = await bob.storage.from('attachments').download(stored.key);
    assert.equal(denied.error.statusCode, 404);
    const overwrite = await bob.storage.from('attachments').upload(stored.key, new Blob(['mine now']));
    assert.equal(overwrite.error.statusCode, 403);
    assert.equal(await must(await alice.storage.from('attachments').download(stored.key)).text(), '%PDF-1.4 receipt of todo ' + todo.id);
  });
});
