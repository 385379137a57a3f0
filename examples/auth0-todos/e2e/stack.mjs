// Starts what the app needs, as a newcomer would run it: oxforge (embedded PostgreSQL), the
// migration applied with oxforge's CLI, and the app itself (`target/debug/auth0-todos`).
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export { startOxforge } from '../../../tests/sdk/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const EXAMPLE_DIR = resolve(here, '..');
const TARGET = resolve(here, '../../../target/debug');
const OXFORGE = process.env.OXFORGE_BIN ?? resolve(TARGET, 'oxforge');
const APP = process.env.AUTH0_TODOS_BIN ?? resolve(TARGET, 'auth0-todos');

/** `oxforge db migrations up --all` in the example's folder (its `migrations/`). */
export function applyMigrations(oxforge) {
  return execFileSync(OXFORGE, ['db', 'migrations', 'up', '--all', '-y'], {
    cwd: EXAMPLE_DIR,
    env: { ...process.env, INSFORGE_URL: oxforge.url, INSFORGE_API_KEY: oxforge.apiKey },
    encoding: 'utf8',
  });
}

/** A free loopback port (the OIDC client must know the app's callback URL before it starts). */
export async function freePort() {
  const server = createServer();
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  await new Promise((ok) => server.close(ok));
  return port;
}

/** Starts the app on `port` with the guide's environment variables; resolves once it answers. */
export async function startApp({ port, env }) {
  const child = spawn(APP, [], {
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn', LISTEN: `127.0.0.1:${port}`, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise((ok) => child.once('exit', ok));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`auth0-todos exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error('auth0-todos did not answer within 30 s');
    await new Promise((ok) => setTimeout(ok, 100));
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
