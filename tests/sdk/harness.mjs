// Starts a real oxforge (embedded PostgreSQL) for the SDK conformance tests and stops it after.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = process.env.OXFORGE_BIN ?? resolve(here, '../../target/debug/oxforge');

/**
 * Starts oxforge on a free port with a fresh data directory; resolves with its URL, keys, JWT
 * secret, admin credentials and dashboard URL (from the start-up summary), `sql` (superuser, over
 * the private socket) and `stop`. `env` is added to the server's environment; the settings that
 * would point it at another port, database or keys are not inherited from ours, only taken from
 * `env`.
 */
export async function startOxforge({ env: extraEnv = {}, tmpPrefix = 'oxforge-sdk-' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), tmpPrefix));
  chmodSync(dir, 0o755); // PostgreSQL runs as `postgres` when we are root
  const dataDir = join(dir, 'data');
  const env = { ...process.env };
  env.RUST_LOG ??= 'warn';
  for (const k of ['PORT', 'DATABASE_URL', 'JWT_SECRET', 'ACCESS_API_KEY', 'ACCESS_ANON_KEY', 'OXFORGE_DATA_DIR', 'ROOT_ADMIN_PASSWORD', 'STORAGE_DIR', 'API_BASE_URL']) delete env[k];
  Object.assign(env, extraEnv);
  const child = spawn(BIN, ['serve', '--port', '0', '--data-dir', dataDir], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const summary = {};
  const lines = createInterface({ input: child.stdout });
  await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('oxforge printed no summary within 60 s')), 60_000);
    child.on('exit', (code) => fail(new Error(`oxforge exited early with ${code}`)));
    lines.on('line', (line) => {
      // `Admin  <user> / <password>` comes after `Dashboard  <url>` (printed when it is served).
      const m = line.trim().match(/^(API URL|Dashboard|Anon key|API key|Admin)\s+(\S+)(?:\s+\/\s+(\S+))?/);
      if (m) summary[m[1]] = m[3] ? [m[2], m[3]] : m[2];
      if (['API URL', 'Anon key', 'API key', 'Admin'].every((k) => summary[k])) {
        clearTimeout(timer);
        ok();
      }
    });
  });
  const url = summary['API URL'];
  const apiKey = summary['API key'];
  const res = await fetch(`${url}/api/secrets/JWT_SECRET`, { headers: { Authorization: `Bearer ${apiKey}` } });
  const jwtSecret = (await res.json()).value;
  const [username, password] = summary.Admin;
  return {
    url,
    dashboardUrl: summary.Dashboard,
    anonKey: summary['Anon key'],
    apiKey,
    jwtSecret,
    username,
    password,
    /** Runs SQL as the superuser over the private socket (fixtures only); returns its output, unaligned, without headers. */
    sql(statements) {
      return execFileSync('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', join(dataDir, 'run'), '-U', 'postgres', '-d', 'postgres', '-c', statements], {
        stdio: ['ignore', 'pipe', 'inherit'],
        encoding: 'utf8',
      }).trim();
    },
    async stop() {
      const exited = new Promise((ok) => child.once('exit', ok));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The "Auth0 + InsForge" guide's SQL (requesting_user_id(), todos, RLS policy). */
export const GUIDE_SQL = `
create or replace function public.requesting_user_id() returns text language sql stable as $$
  select nullif(current_setting('request.jwt.claims', true)::json->>'sub', '')::text $$;
create table public.todos (
  id uuid primary key default gen_random_uuid(),
  user_id text not null default requesting_user_id(),
  title text not null,
  is_complete boolean default false,
  created_at timestamptz default now());
alter table public.todos enable row level security;
create policy "Users can manage own todos" on public.todos for all to authenticated
  using (user_id = requesting_user_id()) with check (user_id = requesting_user_id());
`;

/** Items, authors and books, and two functions: the database tests' and the docs' fixture. */
export const ITEMS_SQL = `
CREATE TABLE public.items (id serial PRIMARY KEY, name text UNIQUE NOT NULL, qty int, tags text[] DEFAULT '{}', meta jsonb, body text);
INSERT INTO public.items (name, qty, tags, meta, body) VALUES
  ('apple', 5, '{fruit,red}', '{"origin":"NZ"}', 'the quick brown fox'),
  ('banana', 12, '{fruit,yellow}', '{"origin":"EC"}', 'lazy dogs sleep'),
  ('carrot', NULL, '{veg}', NULL, 'quick carrots'),
  ('dates', 30, '{fruit}', '{"origin":"TN"}', NULL);
CREATE TABLE public.authors (id int PRIMARY KEY, name text);
CREATE TABLE public.books (id int PRIMARY KEY, title text, author_id int REFERENCES public.authors(id));
INSERT INTO public.authors VALUES (1, 'Ann'), (2, 'Ben');
INSERT INTO public.books VALUES (10, 'Alpha', 1), (11, 'Beta', 1), (12, 'Gamma', 2);
CREATE FUNCTION public.add(a int, b int) RETURNS int LANGUAGE sql AS 'SELECT a + b';
CREATE FUNCTION public.big_items(min_qty int) RETURNS SETOF public.items LANGUAGE sql STABLE AS 'SELECT * FROM public.items WHERE qty >= min_qty';
`;
