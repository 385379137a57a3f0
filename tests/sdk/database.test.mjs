// The real @insforge/sdk@1.5.2 (its database module is @supabase/postgrest-js 1.21.x) against oxforge.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import jwt from 'jsonwebtoken';
import { createClient } from '@insforge/sdk';
import { GUIDE_SQL, ITEMS_SQL, startOxforge } from './harness.mjs';

let ox;
let admin;
let anon;

before(async () => {
  ox = await startOxforge();
  ox.sql(ITEMS_SQL);
  ox.sql(GUIDE_SQL);
  admin = createClient({ baseUrl: ox.url, accessToken: ox.apiKey });
  anon = createClient({ baseUrl: ox.url, anonKey: ox.anonKey });
});

after(async () => {
  await ox?.stop();
});

const names = (rows) => rows.map((r) => r.name);

test('select: columns, filters, order, range, count', async () => {
  const db = anon.database;
  let r = await db.from('items').select('name, qty').eq('name', 'apple');
  assert.equal(r.error, null);
  assert.deepEqual(r.data, [{ name: 'apple', qty: 5 }]);

  r = await db.from('items').select('name').gte('qty', 5).lte('qty', 12).order('qty', { ascending: false });
  assert.deepEqual(names(r.data), ['banana', 'apple']);
  r = await db.from('items').select('name').in('name', ['apple', 'dates']).order('id');
  assert.deepEqual(names(r.data), ['apple', 'dates']);
  r = await db.from('items').select('name').is('qty', null);
  assert.deepEqual(names(r.data), ['carrot']);
  r = await db.from('items').select('name').not('qty', 'is', null).order('id').limit(1);
  assert.deepEqual(names(r.data), ['apple']);
  r = await db.from('items').select('name').like('name', '%an%');
  assert.deepEqual(names(r.data), ['banana']);
  r = await db.from('items').select('name').ilike('name', 'APP%');
  assert.deepEqual(names(r.data), ['apple']);
  r = await db.from('items').select('name').or('qty.lt.6,name.eq.dates').order('id');
  assert.deepEqual(names(r.data), ['apple', 'dates']);
  r = await db.from('items').select('name').contains('tags', ['fruit', 'red']);
  assert.deepEqual(names(r.data), ['apple']);
  r = await db.from('items').select('name').overlaps('tags', ['veg', 'yellow']).order('id');
  assert.deepEqual(names(r.data), ['banana', 'carrot']);
  r = await db.from('items').select('name').textSearch('body', 'quick').order('id');
  assert.deepEqual(names(r.data), ['apple', 'carrot']);
  r = await db.from('items').select('name').match({ name: 'banana', qty: 12 });
  assert.deepEqual(names(r.data), ['banana']);
  r = await db.from('items').select('name, origin:meta->>origin').eq('meta->>origin', 'TN');
  assert.deepEqual(r.data, [{ name: 'dates', origin: 'TN' }]);
  r = await db.from('items').select('name').order('qty', { ascending: true, nullsFirst: true }).limit(1);
  assert.deepEqual(names(r.data), ['carrot']);

  r = await db.from('items').select('name', { count: 'exact' }).order('id').range(1, 2);
  assert.deepEqual(names(r.data), ['banana', 'carrot']);
  assert.equal(r.count, 4);
  assert.equal(r.status, 206);
  r = await db.from('items').select('*', { count: 'exact', head: true }).gt('qty', 10);
  assert.equal(r.count, 2);
  assert.equal(r.data, null);
});

test('single and maybeSingle', async () => {
  const db = anon.database;
  let r = await db.from('items').select('name').eq('id', 2).single();
  assert.deepEqual(r.data, { name: 'banana' });
  r = await db.from('items').select('name').eq('id', 99).single();
  assert.equal(r.error.code, 'PGRST116');
  assert.equal(r.status, 406);
  r = await db.from('items').select('name').eq('id', 99).maybeSingle();
  assert.equal(r.error, null);
  assert.equal(r.data, null);
  r = await db.from('items').select('name').eq('id', 1).maybeSingle();
  assert.deepEqual(r.data, { name: 'apple' });
});

test('insert, upsert, update, delete', async () => {
  const db = admin.database;
  let r = await db.from('items').insert({ name: 'egg', qty: 1 });
  assert.equal(r.error, null);
  assert.equal(r.status, 201);
  r = await db.from('items').insert([{ name: 'fig', qty: 2 }, { name: 'grape' }]).select('name, qty');
  assert.deepEqual(r.data, [{ name: 'fig', qty: 2 }, { name: 'grape', qty: null }]);
  r = await db.from('items').insert({ name: 'kiwi', qty: '' }).select('name, qty').single();
  assert.deepEqual(r.data, { name: 'kiwi', qty: null }, 'InsForge drops "" for non-text columns');
  r = await db.from('items').upsert({ name: 'egg', qty: 50 }, { onConflict: 'name' }).select('name, qty');
  assert.deepEqual(r.data, [{ name: 'egg', qty: 50 }]);
  r = await db.from('items').upsert([{ name: 'egg', qty: 99 }, { name: 'lime', qty: 3 }], { onConflict: 'name', ignoreDuplicates: true }).select('name, qty');
  assert.deepEqual(r.data, [{ name: 'lime', qty: 3 }]);
  r = await db.from('items').update({ qty: 7 }).eq('name', 'fig').select('name, qty');
  assert.deepEqual(r.data, [{ name: 'fig', qty: 7 }]);
  r = await db.from('items').update({ qty: 8 }).eq('name', 'fig');
  assert.equal(r.error, null);
  assert.equal(r.status, 204);
  r = await db.from('items').delete({ count: 'exact' }).in('name', ['egg', 'fig', 'grape', 'kiwi', 'lime']);
  assert.equal(r.error, null);
  assert.equal(r.count, 5);
  r = await db.from('items').select('name').in('name', ['egg', 'fig']);
  assert.deepEqual(r.data, []);
});

test('embedding and rpc', async () => {
  const db = anon.database;
  let r = await db.from('authors').select('name, books(title)').eq('id', 1).order('title', { referencedTable: 'books', ascending: false });
  assert.deepEqual(r.data, [{ name: 'Ann', books: [{ title: 'Beta' }, { title: 'Alpha' }] }]);
  r = await db.from('books').select('title, author:authors(name)').eq('id', 12);
  assert.deepEqual(r.data, [{ title: 'Gamma', author: { name: 'Ben' } }]);
  r = await db.from('authors').select('name, books!inner(title)').eq('books.title', 'Gamma');
  assert.deepEqual(r.data, [{ name: 'Ben', books: [{ title: 'Gamma' }] }]);

  r = await db.rpc('add', { a: 2, b: 3 });
  assert.equal(r.data, 5);
  r = await db.rpc('add', { a: 40, b: 2 }, { get: true });
  assert.equal(r.data, 42);
  r = await db.rpc('big_items', { min_qty: 10 }).select('name').order('qty');
  assert.deepEqual(names(r.data), ['banana', 'dates']);
  r = await db.rpc('big_items', { min_qty: 10 }, { count: 'exact', head: true });
  assert.equal(r.count, 2);
  r = await db.rpc('nope', {});
  assert.equal(r.error.code, 'PGRST202');
  assert.equal(r.status, 404);
});

test('errors come back as PostgREST errors', async () => {
  const db = admin.database;
  let r = await db.from('items').insert({ name: 'apple' });
  assert.equal(r.status, 409);
  assert.equal(r.error.code, '23505');
  r = await db.from('missing').select('*');
  assert.equal(r.status, 404);
  assert.equal(r.error.code, '42P01');
  r = await db.from('items').select('nope');
  assert.equal(r.error.code, '42703');
  r = await db.from('items').select('*').filter('id', 'bogus', 1);
  assert.equal(r.error.code, 'PGRST100');
  r = await db.from('items').insert({ nope: 1 });
  assert.equal(r.error.code, 'PGRST204');
});

test('the Auth0 guide: tokens signed like the Post-Login Action keep users apart', async () => {
  const sign = (sub) =>
    jwt.sign({ sub, role: 'authenticated', aud: 'insforge-api', email: `${sub.split('|')[1]}@example.com` }, ox.jwtSecret, { expiresIn: '1h' });
  // The guide builds a client per request with edgeFunctionToken; the trailing slash is on purpose.
  const alice = createClient({ baseUrl: `${ox.url}/`, edgeFunctionToken: sign('auth0|alice') }).database;
  const bob = createClient({ baseUrl: ox.url, edgeFunctionToken: sign('auth0|bob') }).database;

  let r = await alice.from('todos').insert({ title: 'a1', is_complete: false }).select().single();
  assert.equal(r.error, null);
  assert.equal(r.data.user_id, 'auth0|alice');
  const aliceTodo = r.data.id;
  await alice.from('todos').insert({ title: 'a2', is_complete: false });
  await bob.from('todos').insert({ title: 'b1', is_complete: false });

  r = await alice.from('todos').select('*').order('created_at');
  assert.deepEqual(r.data.map((t) => t.title), ['a1', 'a2']);
  r = await bob.from('todos').select('*');
  assert.deepEqual(r.data.map((t) => t.title), ['b1']);

  r = await bob.from('todos').update({ title: 'hacked' }).eq('id', aliceTodo).select();
  assert.deepEqual(r.data, []);
  r = await bob.from('todos').delete().eq('id', aliceTodo).select();
  assert.deepEqual(r.data, []);
  r = await bob.from('todos').insert({ title: 'spoof', user_id: 'auth0|alice' });
  assert.equal(r.error.code, '42501');
  assert.equal(r.status, 403);

  r = await alice.from('todos').update({ is_complete: true }).eq('id', aliceTodo).select().single();
  assert.equal(r.data.is_complete, true);
  r = await alice.from('todos').delete().eq('title', 'a2');
  assert.equal(r.error, null);
  r = await alice.from('todos').select('title');
  assert.deepEqual(r.data, [{ title: 'a1' }]);

  r = await anon.database.from('todos').select('*');
  assert.deepEqual(r.data, []);

  // An expired token is refused with the code that makes browser sessions refresh.
  const expired = jwt.sign({ sub: 'auth0|alice', role: 'authenticated', exp: Math.floor(Date.now() / 1000) - 10 }, ox.jwtSecret);
  r = await createClient({ baseUrl: ox.url, edgeFunctionToken: expired }).database.from('todos').select('*');
  assert.equal(r.status, 401);
  assert.equal(r.error.error ?? r.error.code, 'AUTH_UNAUTHORIZED', JSON.stringify(r.error));
});
