// The agent docs (crates/oxforge-docs/docs/*.md, served at /api/docs/*) promise that their
// snippets work against oxforge: each test runs one doc's snippets, as written, with the real
// @insforge/sdk and fetch. Change a doc, change its test.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import jwt from 'jsonwebtoken';
import { createClient } from '@insforge/sdk';
import { ITEMS_SQL, startOxforge } from './harness.mjs';

let ox;

/** Calls oxforge like the docs' curl lines; the body as JSON when it is JSON. */
async function call(method, path, { token, body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h['content-type'] = 'application/json';
  const res = await fetch(ox.url + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json, headers: res.headers };
}

/** The MCP tool run-raw-sql's route, with the API key. */
async function rawSql(query, params) {
  const r = await call('POST', '/api/database/advance/rawsql', { token: ox.apiKey, body: params ? { query, params } : { query } });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json;
}

const ok = (r) => {
  assert.equal(r.error, null, JSON.stringify(r.error));
  return r.data;
};

before(async () => {
  ox = await startOxforge({ env: { OXFORGE_AUTH_RATE_LIMIT: '0' } });
  ox.sql(ITEMS_SQL);
  ox.sql('DROP FUNCTION public.add(int, int)'); // db-sdk's SQL creates it, as project_admin
});

after(async () => {
  await ox?.stop();
});

test('instructions: the todos table through run-raw-sql, then the SDK as a signed-in user', async () => {
  await rawSql(`create table public.todos (
     id bigint generated always as identity primary key,
     user_id uuid not null default auth.uid(),
     title text not null,
     is_complete boolean not null default false,
     created_at timestamptz not null default now()
   );
   alter table public.todos enable row level security;
   create policy "own todos" on public.todos for all to authenticated
     using (user_id = auth.uid()) with check (user_id = auth.uid());`);
  const insforge = createClient({ baseUrl: ox.url, anonKey: ox.anonKey });
  const user = ok(await insforge.auth.signUp({ email: 'todo@example.com', password: 'secret123' })).user;
  const { data, error } = await insforge.database.from('todos').insert({ title: 'buy milk' }).select();
  assert.equal(error, null);
  assert.equal(data[0].user_id, user.id);
  const who = await call('GET', '/api/oxforge/whoami', { token: ox.anonKey });
  assert.equal(who.json.role, 'anon');
});

test('db-sdk: reads, embeds, writes, RPC and the error codes it names', async () => {
  await rawSql(`create or replace function public.add(a int, b int) returns int language sql as 'select a + b'`);
  const db = createClient({ baseUrl: ox.url, anonKey: ox.anonKey }).database;
  assert.deepEqual(ok(await db.from('items').select('name').eq('name', 'apple')), [{ name: 'apple' }]);
  ok(await db.from('items').select('name').gte('qty', 5).lte('qty', 12));
  ok(await db.from('items').select('name').in('name', ['apple', 'dates']));
  ok(await db.from('items').select('name').is('qty', null));
  ok(await db.from('items').select('name').not('qty', 'is', null));
  assert.deepEqual(ok(await db.from('items').select('name').ilike('name', 'app%')), [{ name: 'apple' }]);
  ok(await db.from('items').select('name').or('qty.lt.6,name.eq.dates'));
  assert.equal(ok(await db.from('items').select('name').contains('tags', ['fruit'])).length, 3);
  ok(await db.from('items').select('name').textSearch('body', 'quick'));
  assert.deepEqual(ok(await db.from('items').select('name, origin:meta->>origin').eq('meta->>origin', 'NZ')), [{ name: 'apple', origin: 'NZ' }]);
  ok(await db.from('items').select('name').order('qty', { ascending: false }).limit(10));
  const { count } = await db.from('items').select('name', { count: 'exact' }).order('id').range(0, 9);
  assert.equal(count, 4);
  assert.equal((await db.from('items').select('*', { count: 'exact', head: true })).count, 4);
  ok(await db.from('items').select('name').eq('id', 2).single());
  ok(await db.from('items').select('name').eq('id', 2).maybeSingle());
  ok(await db.from('authors').select('name, books(title)'));
  ok(await db.from('books').select('title, author:authors(name)'));
  assert.deepEqual(ok(await db.from('authors').select('name, books!inner(title)').eq('books.title', 'Gamma')), [{ name: 'Ben', books: [{ title: 'Gamma' }] }]);
  ok(await db.from('items').insert([{ name: 'fig', qty: 2 }, { name: 'grape' }]));
  assert.deepEqual(ok(await db.from('items').upsert({ name: 'egg', qty: 50 }, { onConflict: 'name' }).select('name, qty')), [{ name: 'egg', qty: 50 }]);
  assert.equal(ok(await db.rpc('add', { a: 2, b: 3 })), 5);
  assert.equal(ok(await db.rpc('add', { a: 2, b: 3 }, { get: true })), 5);
  ok(await db.rpc('big_items', { min_qty: 10 }).select('name').order('qty'));

  const user = createClient({ baseUrl: ox.url, anonKey: ox.anonKey });
  ok(await user.auth.signUp({ email: 'writer@example.com', password: 'secret123' }));
  const todo = ok(await user.database.from('todos').insert({ title: 'buy milk' }).select().single());
  assert.equal(ok(await user.database.from('todos').update({ is_complete: true }).eq('id', todo.id).select())[0].is_complete, true);
  ok(await user.database.from('todos').delete().eq('id', todo.id));

  let r = await db.from('todos').insert({ title: 'not signed in' });
  assert.equal(r.error.code, '42501');
  r = await db.from('missing').select('*');
  assert.equal(r.error.code, '42P01');
  assert.equal(r.status, 404);
  r = await db.from('items').insert({ nope: 1 });
  assert.equal(r.error.code, 'PGRST204');
  r = await db.rpc('nope', {});
  assert.equal(r.error.code, 'PGRST202');
  r = await db.from('items').select('name').eq('id', 99).single();
  assert.equal(r.error.code, 'PGRST116');
  r = await db.from('items').insert({ name: 'apple' });
  assert.equal(r.error.code, '23505');
});

test('auth-sdk: accounts, profiles, server mode, RLS and third-party tokens', async () => {
  await rawSql(`create table public.notes (
  id bigint generated always as identity primary key,
  user_id uuid not null default auth.uid(),
  body text not null
);
alter table public.notes enable row level security;
create policy "own notes" on public.notes for all to authenticated
  using (user_id = auth.uid()) with check (user_id = auth.uid());
create table public.posts (
  id bigint generated always as identity primary key,
  user_id text not null default (auth.jwt() ->> 'sub'),
  body text not null
);
alter table public.posts enable row level security;
create policy "own posts" on public.posts for all to authenticated
  using (user_id = auth.jwt() ->> 'sub') with check (user_id = auth.jwt() ->> 'sub');`);
  const insforge = createClient({ baseUrl: ox.url, anonKey: ox.anonKey });
  const ann = ok(await insforge.auth.signUp({ email: 'ann@example.com', password: 'secret123', name: 'Ann' })).user;
  assert.ok(ann.id && ann.email === 'ann@example.com' && ann.profile);
  let r = await createClient({ baseUrl: ox.url, anonKey: ox.anonKey }).auth.signUp({ email: 'ann@example.com', password: 'secret123' });
  assert.equal(r.error.error, 'AUTH_EMAIL_EXISTS');
  r = await insforge.auth.signInWithPassword({ email: 'ann@example.com', password: 'wrong-password' });
  assert.equal(r.error.statusCode, 401);
  assert.equal(r.error.error, 'AUTH_UNAUTHORIZED');
  ok(await insforge.auth.signInWithPassword({ email: 'ann@example.com', password: 'secret123' }));
  assert.equal(ok(await insforge.auth.getCurrentUser()).user.id, ann.id);
  ok(await insforge.auth.setProfile({ avatar: 'a.png' }));
  assert.equal(ok(await insforge.auth.getProfile(ann.id)).profile.avatar, 'a.png');
  assert.equal(ok(await insforge.database.from('notes').insert({ body: 'mine' }).select())[0].user_id, ann.id);
  ok(await insforge.auth.signOut());
  assert.equal(ok(await insforge.auth.getCurrentUser()).user, null);
  assert.deepEqual(ok(await insforge.database.from('notes').select()), []);

  const server = createClient({ baseUrl: ox.url, anonKey: ox.anonKey, isServerMode: true });
  const { accessToken, refreshToken } = ok(await server.auth.signInWithPassword({ email: 'ann@example.com', password: 'secret123' }));
  assert.ok(ok(await server.auth.refreshSession({ refreshToken })).refreshToken);
  const asUser = createClient({ baseUrl: ox.url, accessToken });
  assert.equal(ok(await asUser.database.from('notes').select()).length, 1);

  const providerToken = jwt.sign({ sub: 'auth0|alice', role: 'authenticated', aud: 'insforge-api' }, ox.jwtSecret, { expiresIn: '1h' });
  const client = createClient({ baseUrl: ox.url, edgeFunctionToken: providerToken });
  assert.equal(ok(await client.database.from('posts').insert({ body: 'hello' }).select())[0].user_id, 'auth0|alice');
  r = await client.database.from('notes').select();
  assert.equal(r.error.code, '22P02', 'a policy on auth.uid() fails for a third-party id');
  r = await client.auth.getCurrentUser();
  assert.equal(r.error.statusCode, 404);
});

test('db-rest-api: the curl lines', async () => {
  const T = ox.anonKey;
  const session = await call('POST', '/api/auth/users?client_type=mobile', { token: T, body: { email: 'rest-db@example.com', password: 'secret123' } });
  const U = session.json.accessToken;
  let r = await call('POST', '/api/database/records/todos', { token: U, body: { title: 'buy milk' }, headers: { Prefer: 'return=representation' } });
  assert.equal(r.status, 201);
  const id = r.json[0].id;
  r = await call('POST', '/api/database/records/todos', { token: U, body: [{ title: 'a' }, { title: 'b' }] });
  assert.equal(r.status, 201);
  r = await call('GET', '/api/database/records/todos?select=id,title&order=created_at.desc&limit=20', { token: U });
  assert.equal(r.json.length, 3);
  r = await call('GET', '/api/database/records/todos?is_complete=eq.false&title=ilike.*milk*', { token: U });
  assert.deepEqual(r.json.map((t) => t.title), ['buy milk']);
  r = await call('GET', '/api/database/records/items?or=(qty.lt.6,name.eq.dates)', { token: T });
  assert.equal(r.status, 200);
  r = await call('GET', '/api/database/records/books?select=title,author:authors(name)', { token: T });
  assert.equal(r.status, 200);
  r = await call('GET', '/api/database/records/items?offset=0&limit=10', { token: T, headers: { Prefer: 'count=exact' } });
  assert.match(r.headers.get('content-range'), /^0-\d+\/\d+$/);
  r = await call('GET', '/api/database/records/items?id=eq.2', { token: T, headers: { Accept: 'application/vnd.pgrst.object+json' } });
  assert.equal(r.json.name, 'banana');
  r = await call('GET', '/api/database/records/items', { token: T, headers: { Accept: 'application/vnd.pgrst.object+json' } });
  assert.equal(r.status, 406);
  r = await call('GET', '/api/database/records/items?id=in.(1,2,3)&qty=not.is.null&tags=cs.{fruit}', { token: T });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  r = await call('GET', '/api/database/records/items?qty=is.null', { token: T });
  assert.equal(r.status, 200);
  r = await call('POST', '/api/database/records/items?on_conflict=name', { token: T, body: { name: 'egg', qty: 51 }, headers: { Prefer: 'resolution=merge-duplicates' } });
  assert.equal(r.status, 201, JSON.stringify(r.json));
  r = await call('PATCH', `/api/database/records/todos?id=eq.${id}`, { token: U, body: { is_complete: true } });
  assert.equal(r.status, 204);
  r = await call('DELETE', `/api/database/records/todos?id=eq.${id}`, { token: U });
  assert.equal(r.status, 204);
  r = await call('POST', '/api/database/rpc/add', { token: T, body: { a: 2, b: 3 } });
  assert.equal(r.json, 5);
  r = await call('GET', '/api/database/rpc/add?a=2&b=3', { token: T });
  assert.equal(r.json, 5);
  r = await rawSql('select count(*) from todos where is_complete = $1', ['true']);
  assert.equal(r.rowCount, 1);
  assert.ok(Array.isArray(r.fields));
});

test('auth-rest-api: the curl lines', async () => {
  let r = await call('POST', '/api/auth/users?client_type=mobile', { token: ox.anonKey, body: { email: 'bob@example.com', password: 'secret123', name: 'Bob' } });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.ok(r.json.accessToken && r.json.refreshToken && r.json.requireEmailVerification === false);
  const bob = r.json.user;
  r = await call('POST', '/api/auth/sessions?client_type=mobile', { body: { email: 'bob@example.com', password: 'secret123' } });
  const access = r.json.accessToken;
  let refresh = r.json.refreshToken;
  r = await call('GET', '/api/auth/sessions/current', { token: access });
  assert.equal(r.json.user.id, bob.id);
  r = await call('GET', '/api/database/records/notes', { token: access });
  assert.deepEqual(r.json, []);
  r = await call('POST', '/api/auth/refresh?client_type=mobile', { body: { refreshToken: refresh } });
  refresh = r.json.refreshToken;
  assert.ok(refresh);
  r = await call('PATCH', '/api/auth/profiles/current', { token: access, body: { profile: { avatar: 'a.png' } } });
  assert.equal(r.status, 200);
  r = await call('GET', `/api/auth/profiles/${bob.id}`);
  assert.equal(r.json.profile.avatar, 'a.png');
  assert.equal((await call('GET', '/api/auth/users', { token: ox.apiKey })).status, 200);
  assert.equal((await call('GET', `/api/auth/users/${bob.id}`, { token: ox.apiKey })).status, 200);
  r = await call('POST', '/api/auth/logout?client_type=mobile', { body: { refreshToken: refresh } });
  assert.equal(r.status, 200);
  r = await call('POST', '/api/auth/refresh?client_type=mobile', { body: { refreshToken: refresh } });
  assert.equal(r.status, 401);
  r = await call('POST', `/api/oxforge/auth/users/${bob.id}/sessions/revoke-all`, { token: ox.apiKey });
  assert.equal(r.status, 200);
  r = await call('POST', '/api/auth/email/send-reset-password', { body: { email: 'bob@example.com' } });
  assert.equal(r.json.error, 'EMAIL_NOT_CONFIGURED');
  r = await call('GET', '/api/storage/buckets', { token: ox.apiKey });
  assert.equal(r.status, 200);
});

test('storage-sdk: upload, uploadAuto, download, list, remove, URLs, and the shared-folder policy', async () => {
  let r = await call('POST', '/api/storage/buckets', { token: ox.apiKey, body: { bucketName: 'attachments', isPublic: false } });
  assert.equal(r.status, 201);
  r = await call('POST', '/api/storage/buckets', { token: ox.apiKey, body: { bucketName: 'avatars', isPublic: true } });
  assert.equal(r.status, 201);
  const insforge = createClient({ baseUrl: ox.url, anonKey: ox.anonKey });
  ok(await insforge.auth.signUp({ email: 'files@example.com', password: 'secret123' }));
  ok(await insforge.auth.signInWithPassword({ email: 'files@example.com', password: 'secret123' }));
  const files = insforge.storage.from('attachments');
  const todoId = 42;
  const file = new File(['receipt body'], 'receipt.pdf', { type: 'application/pdf' });

  const data = ok(await files.upload(`todos/${todoId}/${file.name}`, file));
  assert.deepEqual(Object.keys(data).sort(), ['bucket', 'key', 'mimeType', 'size', 'uploadedAt', 'url']);
  const auto = ok(await files.uploadAuto(file));
  assert.match(auto.key, /^receipt-\d+-[0-9a-z]+\.pdf$/);
  const blob = ok(await files.download(data.key));
  assert.equal(await blob.text(), 'receipt body');
  const page = ok(await files.list({ prefix: `todos/${todoId}/`, search: 'receipt', limit: 50, offset: 0 }));
  assert.deepEqual(page.data.map((o) => o.key), ['todos/42/receipt.pdf']);
  assert.equal(page.pagination.total, 1);
  const signed = ok(await files.createSignedUrl(data.key, 3600));
  assert.equal(signed.expiresAt, null);
  assert.deepEqual(ok(await files.remove(data.key)), { message: 'Object deleted successfully' });
  const removed = ok(await files.remove([auto.key, 'nope']));
  assert.deepEqual(removed.results.map((x) => x.status), ['deleted', 'notFound']);

  const admin = createClient({ baseUrl: ox.url, accessToken: ox.apiKey });
  ok(await admin.storage.from('avatars').upload('u1.png', new Blob(['png?'], { type: 'image/png' })));
  const { data: { publicUrl } } = insforge.storage.from('avatars').getPublicUrl('u1.png');
  assert.equal(await (await fetch(publicUrl)).text(), 'png?');

  // The shared folder: run as the owner (unrestricted), then another user reads it.
  ok(await files.upload('shared/readme.txt', new Blob(['for everyone'], { type: 'text/plain' })));
  const other = createClient({ baseUrl: ox.url, anonKey: ox.anonKey });
  ok(await other.auth.signUp({ email: 'other@example.com', password: 'secret123' }));
  ok(await other.auth.signInWithPassword({ email: 'other@example.com', password: 'secret123' }));
  let denied = await other.storage.from('attachments').download('shared/readme.txt');
  assert.equal(denied.error.statusCode, 404);
  r = await call('POST', '/api/database/advance/rawsql/unrestricted', {
    token: ox.apiKey,
    body: {
      query: `CREATE POLICY shared_folder_read ON storage.objects FOR SELECT TO authenticated
  USING (bucket = 'attachments' AND (storage.foldername(key))[1] = 'shared');`,
    },
  });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  const shared = ok(await other.storage.from('attachments').download('shared/readme.txt'));
  assert.equal(await shared.text(), 'for everyone');
});
