// The dashboard tests' harness: a freshly started oxforge (embedded PostgreSQL, its own data
// directory), headless Chromium from Debian driven by playwright-core, the admin sign-in, and
// screenshots kept in tests/dashboard/screenshots/ for a person to look at.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startOxforge as startServer } from '../sdk/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';
export const SHOTS = resolve(here, 'screenshots');

/**
 * Starts oxforge on a free port (the SDK suite's `startOxforge`: URL, keys, admin credentials,
 * dashboard URL, `sql`, `stop`), adding `api`, an admin API call.
 */
export async function startOxforge({ env = {} } = {}) {
  const server = await startServer({ env, tmpPrefix: 'oxforge-dash-' });
  const { url, apiKey } = server;
  return {
    ...server,
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

/**
 * One oxforge and one Chromium for the whole test file: starts them before its tests (then calls
 * `ready(server, browser)`) and stops them after.
 */
export function useOxforge(ready, options) {
  let server, browser;
  before(async () => {
    server = await startOxforge(options);
    browser = await launch();
    await ready(server, browser);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });
}

const SENTINEL = '(clipboard emptied by the test)';

/**
 * Clicks the copy button `name` on `page` (its context needs the clipboard permissions) and
 * resolves with what it put on the clipboard (the copy is async).
 */
export async function copied(page, name) {
  await page.evaluate((s) => navigator.clipboard.writeText(s), SENTINEL);
  await page.getByRole('button', { name, exact: true }).click();
  let text = SENTINEL;
  for (let i = 0; i < 50 && text === SENTINEL; i++) {
    await page.waitForTimeout(50);
    text = await page.evaluate(() => navigator.clipboard.readText());
  }
  assert.notEqual(text, SENTINEL, `${name} copied nothing`);
  return text;
}
