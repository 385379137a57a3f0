// The README as a doc test: every fenced block preceded by `<!-- readme-test -->` runs, in
// document order, in one bash session against a real oxforge (a fresh HOME, `oxforge` on PATH),
// with the real URL and keys put in place of `http://127.0.0.1:7130`, `ik_…` and `anon_…`.
// After each `# → ` (shell) or `// → ` (JavaScript) run of lines, the output of the commands since
// the previous such run must be exactly that text (whitespace runs compared as one space; `…`
// matches anything). A failing command, a wrong output or a block left untested fails the test.
// Uses the SDK suite's harness and its node_modules (`npm ci` in tests/sdk first).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, symlinkSync, existsSync, chmodSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOxforge } from '../sdk/harness.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../..');
const BIN = process.env.OXFORGE_BIN ?? resolve(root, 'target/debug/oxforge');
const MARK = '<!-- readme-test -->';
const WALKTHROUGH = "## From zero to the Auth0 guide's todos table";

/** Fenced blocks of a Markdown text: language, lines, whether marked, and the `## ` section. */
export function blocks(markdown) {
  const out = [];
  let section = '';
  let marked = false;
  let current = null;
  for (const line of markdown.split('\n')) {
    if (current) {
      if (line.startsWith('```')) {
        out.push(current);
        current = null;
      } else current.lines.push(line);
      continue;
    }
    if (line.startsWith('## ')) section = line;
    if (line.trim() === MARK) marked = true;
    else if (line.startsWith('```')) {
      current = { lang: line.slice(3).trim(), lines: [], marked, section };
      marked = false;
    } else if (line.trim() !== '') marked = false;
  }
  assert.equal(current, null, 'an unclosed code fence');
  return out;
}

/** Splits a block into segments: commands, then the output expected of them (or null). */
export function segments(lines, arrow) {
  const out = [];
  let code = [];
  let expected = [];
  for (const line of lines) {
    const m = line.match(arrow);
    if (m) expected.push(m[1]);
    else {
      if (expected.length) {
        out.push({ code, expected: expected.join(' ') });
        code = [];
        expected = [];
      }
      code.push(line);
    }
  }
  if (code.length || expected.length) out.push({ code, expected: expected.length ? expected.join(' ') : null });
  return out;
}

const squash = (text) => text.replace(/\s+/g, ' ').trim();

export function matches(actual, expected) {
  const pattern = squash(expected)
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`, 's').test(squash(actual));
}

test('the matcher: exact up to whitespace, … for anything', () => {
  assert.ok(matches('✓ Applied 2026_create-todos\n', '✓ Applied …_create-todos'));
  assert.ok(matches('[{"a":1}, \n {"a":2}]', '[{"a":1}, {"a":2}]'));
  assert.ok(!matches('✓ Applied x\nextra', '✓ Applied x'));
  assert.ok(!matches('[]', '[{"a":1}]'));
});

test("the README's walkthrough and SDK snippet run as written", { timeout: 240_000 }, async () => {
  const all = blocks(readFileSync(join(root, 'README.md'), 'utf8'));
  const runnable = all.filter((b) => b.marked);
  // Every block of the walkthrough runs here, except the serve command (scripts/readme-serve).
  const walkthrough = all.filter((b) => b.section === WALKTHROUGH);
  assert.ok(walkthrough.length >= 4, `the walkthrough section was not found (${walkthrough.length} blocks)`);
  for (const b of walkthrough) {
    assert.ok(b.marked || b.lines.join('\n').includes('cargo run --release -- serve'), `an untested walkthrough block:\n${b.lines.join('\n')}`);
  }
  assert.ok(runnable.some((b) => b.lang === 'js'), 'the SDK snippet is not marked');
  for (const b of runnable) assert.ok(['sh', 'js'].includes(b.lang), `a marked ${b.lang} block`);

  const server = await startOxforge();
  const home = mkdtempSync(join(tmpdir(), 'oxforge-readme-'));
  chmodSync(home, 0o755);
  try {
    const put = (text) =>
      text.replaceAll('http://127.0.0.1:7130', server.url).replaceAll('ik_…', server.apiKey).replaceAll('anon_…', server.anonKey);
    const outDir = join(home, '.readme-test');
    mkdirSync(outDir);
    const checks = [];
    const script = ['set -euo pipefail'];
    runnable.forEach((b, i) => {
      if (b.lang === 'sh') {
        for (const seg of segments(b.lines.map(put), /^\s*# → ?(.*)$/)) {
          const n = checks.length;
          checks.push({ block: i, code: seg.code.join('\n'), expected: seg.expected });
          script.push(`echo ${n} > '${outDir}/current'`, '{ :', ...seg.code, `} > '${outDir}/${n}.out'`);
        }
      } else {
        const jsDir = join(home, `.readme-js-${i}`);
        mkdirSync(jsDir);
        symlinkSync(resolve(root, 'tests/sdk/node_modules'), join(jsDir, 'node_modules'));
        const source = b.lines.map(put);
        writeFileSync(join(jsDir, 'snippet.mjs'), source.join('\n'));
        const expected = segments(source, /^\s*\/\/ → ?(.*)$/)
          .map((s) => s.expected)
          .filter((e) => e !== null)
          .join(' ');
        const n = checks.length;
        checks.push({ block: i, code: source.join('\n'), expected });
        script.push(`echo ${n} > '${outDir}/current'`, `node '${jsDir}/snippet.mjs' > '${outDir}/${n}.out'`);
      }
    });
    assert.ok(existsSync(resolve(root, 'tests/sdk/node_modules/@insforge/sdk')), 'run `npm ci` in tests/sdk first');
    const env = { ...process.env, HOME: home, PATH: `${dirname(BIN)}:${process.env.PATH}`, NO_COLOR: '1' };
    for (const k of ['INSFORGE_URL', 'INSFORGE_API_KEY', 'ROOT_ADMIN_PASSWORD']) delete env[k];
    const run = spawnSync('bash', ['-c', script.join('\n')], { cwd: home, env, encoding: 'utf8', timeout: 180_000 });
    const readOut = (n) => (existsSync(join(outDir, `${n}.out`)) ? readFileSync(join(outDir, `${n}.out`), 'utf8') : '');
    if (run.status !== 0) {
      const n = Number(readFileSync(join(outDir, 'current'), 'utf8'));
      assert.fail(
        `README block ${checks[n].block + 1} failed (status ${run.status}${run.error ? `, ${run.error.message}` : ''}) in:\n` +
          `${checks[n].code}\n--- its output:\n${readOut(n)}\n--- stderr:\n${run.stderr}`,
      );
    }
    checks.forEach((c, n) => {
      if (c.expected === null) return;
      const actual = readOut(n);
      assert.ok(matches(actual, c.expected), `README block ${c.block + 1}: after\n${c.code}\nexpected\n  ${c.expected}\ngot\n  ${actual}\n--- stderr:\n${run.stderr}`);
    });
    assert.ok(checks.filter((c) => c.expected !== null).length >= 10, 'fewer expected outputs than the README shows');
  } finally {
    await server.stop();
    rmSync(home, { recursive: true, force: true });
  }
});
