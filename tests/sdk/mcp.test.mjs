// InsForge's MCP server (@insforge/mcp, the tool AI coding agents use to drive a backend) against a
// real oxforge, over stdio with the MCP SDK's own client: it must register its tools (it gates
// some on /api/health's version) and its database, metadata, bulk-upsert and docs tools must work.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { startOxforge } from './harness.mjs';

const require = createRequire(import.meta.url);
const MCP_ENTRY = require.resolve('@insforge/mcp/dist/index.js');

let server;
let client;
let scratch;

before(async () => {
  server = await startOxforge();
  scratch = mkdtempSync(join(tmpdir(), 'oxforge-mcp-'));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [MCP_ENTRY, '--api_key', server.apiKey, '--api_base_url', server.url],
    env: { ...process.env },
    stderr: 'ignore',
  });
  client = new Client({ name: 'oxforge-mcp-test', version: '1.0.0' });
  await client.connect(transport);
});

after(async () => {
  await client?.close();
  await server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** Calls a tool and returns its text; a tool error fails the test with the tool's own words. */
async function call(name, args = {}) {
  const result = await client.callTool({ name, arguments: args });
  const text = result.content.map((c) => c.text ?? '').join('\n');
  assert.ok(!result.isError, `${name} failed: ${text}`);
  return text;
}

test('the MCP server registers its tools, including those gated on the backend version', async () => {
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  for (const name of [
    'run-raw-sql',
    'get-table-schema',
    'get-backend-metadata',
    'get-anon-key',
    'bulk-upsert',
    'fetch-docs',
    'fetch-sdk-docs', // needs a backend version >= 1.5.1
    'get-container-logs',
  ]) {
    assert.ok(names.includes(name), `${name} is missing from ${names.join(', ')}`);
  }
});

test('run-raw-sql, get-table-schema and get-backend-metadata work on a real table', async () => {
  await call('run-raw-sql', {
    query: 'CREATE TABLE public.mcp_notes (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), title text NOT NULL, stars int DEFAULT 0)',
  });
  const inserted = await call('run-raw-sql', {
    query: 'INSERT INTO public.mcp_notes (title, stars) VALUES ($1, $2) RETURNING title',
    params: ['from the agent', 5],
  });
  assert.match(inserted, /from the agent/);

  const schema = await call('get-table-schema', { tableName: 'mcp_notes' });
  for (const column of ['id', 'title', 'stars']) assert.match(schema, new RegExp(`"${column}"`));

  const metadata = await call('get-backend-metadata');
  assert.match(metadata, /mcp_notes/);
});

test('bulk-upsert imports a CSV file the agent wrote', async () => {
  await call('run-raw-sql', { query: 'CREATE TABLE public.mcp_people (email text PRIMARY KEY, name text)' });
  const file = join(scratch, 'people.csv');
  writeFileSync(file, 'email,name\na@example.com,Ada\nb@example.com,Bea\n');
  await call('bulk-upsert', { table: 'mcp_people', filePath: file, upsertKey: 'email' });
  const rows = await call('run-raw-sql', { query: 'SELECT name FROM public.mcp_people ORDER BY email' });
  assert.match(rows, /Ada[\s\S]*Bea/);
});

test('fetch-docs and fetch-sdk-docs return oxforge docs with the real base URL', async () => {
  const instructions = await call('fetch-docs', { docType: 'instructions' });
  assert.ok(instructions.length > 200, instructions);
  const db = await call('fetch-docs', { docType: 'db-sdk' });
  assert.ok(db.includes(server.url), 'the placeholder base URL is replaced by the real one');
  assert.ok(!db.includes('http://localhost:7130'));
  const sdk = await call('fetch-sdk-docs', { sdkFeature: 'db', sdkLanguage: 'typescript' });
  assert.match(sdk, /insforge/i);
});

test('get-container-logs reads oxforge\'s request log and the embedded PostgreSQL\'s log', async () => {
  await fetch(`${server.url}/api/database/records/mcp_logs_marker`, { headers: { Authorization: `Bearer ${server.anonKey}` } });
  const requests = await call('get-container-logs', { source: 'insforge.logs', limit: 50 });
  assert.match(requests, /GET \/api\/database\/records\/mcp_logs_marker 404/);
  const postgres = await call('get-container-logs', { source: 'postgres.logs', limit: 50 });
  assert.match(postgres, /database system is ready to accept connections/);
});

test('get-anon-key returns the project anon key', async () => {
  const text = await call('get-anon-key');
  assert.match(text, new RegExp(server.anonKey));
});
