// The dashboard tests' harness: a freshly started oxforge (embedded PostgreSQL, its own data
// directory), headless Chromium from Debian driven by playwright-core, the admin sign-in, and
// screenshots kept in tests/dashboard/screenshots/ for a person to look at.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, chmodSync, rmSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const BIN = process.env.OXFORGE_BIN ?? resolve(here, '../../target/debug/oxforge');
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const SHOTS = resolve(here, 'screenshots');

/** Starts oxforge on a free port; resolves with its URL, keys, admin credentials and a psql helper. */
export async function startOxforge({ env: extraEnv = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'oxforge-dash-'));
  chmodSync(dir, 0o755); // PostgreSQL runs as `postgres` when we are root
  const dataDir = join(dir, 'data');
  const env = { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn', ...extraEnv };
  for (const k of ['PORT', 'DATABASE_URL', 'JWT_SECRET', 'ACCESS_API_KEY', 'ACCESS_ANON_KEY', 'OXFORGE_DATA_DIR', 'ROOT_ADMIN_PASSWORD']) {
    if (!(k in extraEnv)) delete env[k];
  }
  const child = spawn(BIN, ['serve', '--port', '0', '--data-dir', dataDir], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  const summary = {};
  const lines = createInterface({ input: child.stdout });
  await new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('oxforge printed no summary within 60 s')), 60_000);
    child.on('exit', (code) => fail(new Error(`oxforge exited early with ${code}`)));
    lines.on('line', (line) => {
      const m = line.trim().match(/^(API URL|Anon key|API key|Admin|Dashboard)\s+(\S+)(?:\s+\/\s+(\S+))?/);
      if (m) summary[m[1]] = m[3] ? [m[2], m[3]] : m[2];
      if (['API URL', 'Anon key', 'API key', 'Admin', 'Dashboard'].every((k) => summary[k])) {
        clearTimeout(timer);
        ok();
      }
    });
  });
  const url = summary['API URL'];
  const apiKey = summary['API key'];
  const [username, password] = summary.Admin;
  return {
    url,
    dashboardUrl: summary.Dashboard,
    anonKey: summary['Anon key'],
    apiKey,
    username,
    password,
    /** An admin API call with the API key; resolves with the parsed body, throws on a non-2xx. */
    async api(path, { method = 'GET', body, headers = {} } = {}) {
      const res = await fetch(url + path, {
        method,
        headers: { Authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      const parsed = text ? JSON.parse(text) : null;
      if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
      return parsed;
    },
    /** Runs SQL as the superuser over the private socket (fixtures only). */
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

/** Headless Chromium. */
export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** A fresh browser context (own cookies and storage) and a page in it, console errors collected. */
export async function newPage(browser, server, { width = 1280, height = 860, permissions = [] } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, baseURL: server.url, acceptDownloads: true });
  if (permissions.length) await context.grantPermissions(permissions, { origin: server.url });
  const page = await context.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && page.errors.push(m.text()));
  page.setDefaultTimeout(15_000);
  return page;
}

/** Signs in through the login form and waits for the shell. */
export async function login(page, server) {
  await page.goto('/dashboard/login');
  await page.getByLabel('Username').fill(server.username);
  await page.getByLabel('Password').fill(server.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await signedInShell(page);
}

/** Waits for the signed-in shell (its side bar is folded into a menu on narrow screens). */
export async function signedInShell(page) {
  await page.locator('nav[aria-label="Sections"]').waitFor({ state: 'attached' });
}

/** Saves a full-page screenshot as screenshots/<name>.png. */
export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Goes to a dashboard page through the side bar (as a person would). */
export async function openSection(page, name) {
  const nav = page.locator('nav[aria-label="Sections"]');
  if (!(await nav.isVisible())) await page.getByRole('button', { name: 'Menu' }).click();
  await nav.getByRole('link', { name, exact: true }).click();
}
