// A small SQL tokenizer (strings, quoted names, dollar quotes and comments are single tokens, so
// nothing inside them counts), the statements of a script, which of them destroy data (asked
// about before running), and where in the text an error message points.

export type TokenKind = 'word' | 'string' | 'quoted' | 'comment' | 'space' | 'punct' | 'number' | 'param';

export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
}

const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;

export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  const push = (kind: TokenKind, start: number, end: number) => out.push({ kind, text: sql.slice(start, end), start, end });
  while (i < n) {
    const c = sql[i];
    const start = i;
    if (/\s/.test(c)) {
      while (i < n && /\s/.test(sql[i])) i++;
      push('space', start, i);
    } else if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
      push('comment', start, i);
    } else if (c === '/' && sql[i + 1] === '*') {
      // Block comments nest in PostgreSQL.
      let depth = 0;
      while (i < n) {
        if (sql[i] === '/' && sql[i + 1] === '*') {
          depth++;
          i += 2;
        } else if (sql[i] === '*' && sql[i + 1] === '/') {
          depth--;
          i += 2;
          if (depth === 0) break;
        } else i++;
      }
      push('comment', start, i);
    } else if (c === "'" || ((c === 'E' || c === 'e') && sql[i + 1] === "'")) {
      const escapes = c !== "'";
      i += escapes ? 2 : 1;
      while (i < n) {
        if (escapes && sql[i] === '\\') i += 2;
        else if (sql[i] === "'" && sql[i + 1] === "'") i += 2;
        else if (sql[i] === "'") {
          i++;
          break;
        } else i++;
      }
      push('string', start, i);
    } else if (c === '"') {
      i++;
      while (i < n) {
        if (sql[i] === '"' && sql[i + 1] === '"') i += 2;
        else if (sql[i] === '"') {
          i++;
          break;
        } else i++;
      }
      push('quoted', start, i);
    } else if (c === '$') {
      const tag = sql.slice(i).match(/^\$([A-Za-z_][A-Za-z0-9_]*)?\$/);
      const param = sql.slice(i).match(/^\$\d+/);
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = close < 0 ? n : close + tag[0].length;
        push('string', start, i);
      } else if (param) {
        i += param[0].length;
        push('param', start, i);
      } else {
        i++;
        push('punct', start, i);
      }
    } else if (WORD_START.test(c)) {
      while (i < n && WORD_PART.test(sql[i])) i++;
      push('word', start, i);
    } else if (/[0-9]/.test(c)) {
      while (i < n && /[0-9.eE]/.test(sql[i])) i++;
      push('number', start, i);
    } else {
      i++;
      push('punct', start, i);
    }
  }
  return out;
}

/** The statements of a script: their meaningful tokens (no spaces or comments), split at `;`. */
export function statements(sql: string): Token[][] {
  const all: Token[][] = [];
  let current: Token[] = [];
  for (const t of tokenize(sql)) {
    if (t.kind === 'space' || t.kind === 'comment') continue;
    if (t.kind === 'punct' && t.text === ';') {
      if (current.length) all.push(current);
      current = [];
    } else current.push(t);
  }
  if (current.length) all.push(current);
  return all;
}

const word = (t: Token | undefined, w: string) => t?.kind === 'word' && t.text.toLowerCase() === w;

/** The words at parenthesis depth 0 (a WHERE inside a sub-query does not count). */
function topLevel(tokens: Token[]): Token[] {
  let depth = 0;
  const out: Token[] = [];
  for (const t of tokens) {
    if (t.kind === 'punct' && t.text === '(') depth++;
    else if (t.kind === 'punct' && t.text === ')') depth = Math.max(0, depth - 1);
    else if (depth === 0) out.push(t);
  }
  return out;
}

function excerpt(tokens: Token[], sql: string): string {
  const text = sql.slice(tokens[0].start, tokens[tokens.length - 1].end).replace(/\s+/g, ' ');
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

/**
 * Why running `sql` destroys data, one line per dangerous statement: DROP, TRUNCATE, DELETE or
 * UPDATE without WHERE, ALTER … DROP. Empty when nothing is dangerous.
 */
export function dangers(sql: string): string[] {
  const out: string[] = [];
  for (const s of statements(sql)) {
    const top = topLevel(s);
    const has = (w: string) => top.some((t) => word(t, w));
    // The verb: the first word, or the one after a WITH … AS (…) prefix.
    const verbs = top.filter((t) => ['drop', 'truncate', 'delete', 'update', 'alter'].includes(t.text.toLowerCase()) && t.kind === 'word');
    const first = word(s[0], 'with') ? verbs[0] : s[0];
    const what = excerpt(s, sql);
    if (word(first, 'drop')) out.push(`DROP: ${what}`);
    else if (word(first, 'truncate')) out.push(`TRUNCATE: ${what}`);
    else if (word(first, 'delete') && !has('where')) out.push(`DELETE without WHERE: ${what}`);
    else if (word(first, 'update') && !has('where')) out.push(`UPDATE without WHERE: ${what}`);
    else if (word(first, 'alter') && top.some((t) => word(t, 'drop'))) out.push(`ALTER … DROP: ${what}`);
  }
  return out;
}

export interface Place {
  /** Offset in the text (0-based). */
  offset: number;
  length: number;
  line: number;
  column: number;
}

export function placeOf(text: string, offset: number, length = 1): Place {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - (before.lastIndexOf('\n') + 1) + 1;
  return { offset, length, line, column };
}

/**
 * Where an error points in `query`: PostgreSQL's `position` (1-based) if the server gave one,
 * else the token the message names (`at or near "x"`, `relation "x"`, `column "x"`), else the
 * end for `at end of input`.
 */
export function errorPlace(query: string, message: string, position?: number | null): Place | null {
  if (position && position > 0) {
    // PostgreSQL counts characters (code points); JavaScript strings count UTF-16 units.
    const offset = Math.min([...query].slice(0, position - 1).join('').length, query.length);
    const token = tokenize(query).find((t) => t.start === offset && t.kind !== 'space');
    return placeOf(query, offset, token ? token.end - token.start : 1);
  }
  if (/at end of input/.test(message)) {
    const end = query.trimEnd().length;
    return placeOf(query, Math.max(0, end - 1), 1);
  }
  const tokens = tokenize(query).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  const near = message.match(/at or near "((?:[^"]|"")*)"/);
  if (near) {
    const t = tokens.find((t) => t.text === near[1]) ?? tokens.find((t) => t.text.toLowerCase() === near[1].toLowerCase());
    if (t) return placeOf(query, t.start, t.end - t.start);
  }
  const named = message.match(/(?:relation|column|function|type|table|schema|role) "((?:[^"]|"")*)"/);
  if (named) {
    const name = named[1].split('.').pop()!.toLowerCase();
    const t = tokens.find((t) => (t.kind === 'word' && t.text.toLowerCase() === name) || (t.kind === 'quoted' && t.text.slice(1, -1).toLowerCase() === name));
    if (t) return placeOf(query, t.start, t.end - t.start);
  }
  return null;
}
