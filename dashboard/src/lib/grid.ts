// The row grid's data: the table's columns and foreign keys (from the schema route), a page of
// rows (the admin grid route, or through "view as" with sqlAs), and how values are shown and
// edited by type. NULL and "" are different values everywhere here.
import { call, ident, rangeTotal, sqlAs } from './api';

export interface Column {
  columnName: string;
  type: string;
  isNullable: boolean;
  isPrimaryKey: boolean;
  defaultValue: string | null;
}

export interface ForeignKey {
  columns: string[];
  refSchema: string | null;
  refTable: string;
  refColumns: string[];
}

export interface TableInfo {
  columns: Column[];
  foreignKeys: ForeignKey[];
}

export type Kind = 'bool' | 'number' | 'json' | 'date' | 'time' | 'timestamp' | 'timestamptz' | 'text' | 'other';

export function kindOf(type: string): Kind {
  const t = type.toLowerCase();
  if (t.endsWith('[]') || t === 'json' || t === 'jsonb') return 'json';
  if (t === 'boolean') return 'bool';
  if (/^(smallint|integer|bigint|numeric|real|double precision|decimal|int\d?|float\d?|smallserial|serial|bigserial)/.test(t)) return 'number';
  if (t === 'date') return 'date';
  if (t.startsWith('time') && !t.startsWith('timestamp')) return 'time';
  if (t.startsWith('timestamp')) return t.includes('with time zone') || t === 'timestamptz' ? 'timestamptz' : 'timestamp';
  if (t === 'text' || t.startsWith('character') || t === 'citext' || t.startsWith('varchar')) return 'text';
  return 'other';
}

/** Splits `a, "b ""c"""` (or `s."t"` with `sep` '.') into names, quotes taken off. */
function names(list: string, sep = ','): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < list.length; i++) {
    const c = list[i];
    if (c === '"') {
      if (quoted && list[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = !quoted;
    } else if (c === sep && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

/** `FOREIGN KEY (a) REFERENCES s.t(b)` → the columns and what they point to. */
export function parseForeignKey(definition: string): ForeignKey | null {
  const m = definition.match(/FOREIGN KEY \((.+?)\) REFERENCES (.+?)\((.+?)\)/);
  if (!m) return null;
  const target = names(m[2].trim(), '.');
  const [refSchema, refTable] = target.length === 2 ? target : [null, target[0]];
  return { columns: names(m[1]), refSchema, refTable, refColumns: names(m[3]) };
}

export async function tableInfo(schema: string, table: string): Promise<TableInfo> {
  const s = await call<{ columns: Column[]; foreignKeys?: { definition: string }[] }>(`/api/database/tables/${encodeURIComponent(table)}/schema`, {
    query: { schema: schema === 'public' ? undefined : schema },
  });
  const foreignKeys = (s.foreignKeys ?? []).map((f) => parseForeignKey(f.definition)).filter((f): f is ForeignKey => f !== null);
  return { columns: s.columns, foreignKeys };
}

export interface SortKey {
  column: string;
  dir: 'asc' | 'desc';
}

export interface PageQuery {
  limit: number;
  offset: number;
  sort: SortKey[];
  search: string;
  filter: { column: string; value: string } | null;
}

export interface Page {
  rows: Record<string, unknown>[];
  /** null: not known (view as). */
  total: number | null;
  estimated: boolean;
}

export function recordsPath(table: string): string {
  return `/api/database/admin/tables/${encodeURIComponent(table)}/records`;
}

/** A page through the admin grid route (as project_admin: every row). */
export async function fetchPage(schema: string, table: string, q: PageQuery, exact: boolean, signal?: AbortSignal): Promise<Page> {
  const res = await call<Response>(recordsPath(table), {
    raw: true,
    signal,
    headers: { Prefer: exact ? 'count=exact' : 'count=estimated' },
    query: {
      schema: schema === 'public' ? undefined : schema,
      limit: q.limit,
      offset: q.offset,
      sort: q.sort.map((s) => `${s.column}:${s.dir}`).join(',') || undefined,
      search: q.search.trim() || undefined,
      filterColumn: q.filter?.column,
      filterValue: q.filter ? q.filter.value : undefined,
    },
  });
  const rows = (await res.json()) as Record<string, unknown>[];
  return { rows, total: rangeTotal(res) ?? rows.length, estimated: res.headers.get('Preference-Applied') === 'count=estimated' };
}

/** A page as another role sees it (read-only, under RLS): `sqlAs`, no count. */
export async function fetchPageAs(
  schema: string,
  table: string,
  q: PageQuery,
  columns: Column[],
  as: { role: 'anon' | 'authenticated'; sub?: string },
): Promise<Page> {
  const order = q.sort.length
    ? q.sort.map((s) => `${ident(s.column)} ${s.dir}`)
    : columns.filter((c) => c.isPrimaryKey).map((c) => ident(c.columnName));
  const params: unknown[] = [q.limit, q.offset];
  const conditions: string[] = [];
  if (q.filter) {
    params.push(q.filter.value);
    conditions.push(`${ident(q.filter.column)}::text = $${params.length}`);
  }
  const term = q.search.trim();
  if (term) {
    const texts = columns.filter((c) => kindOf(c.type) === 'text');
    params.push(`%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
    conditions.push(texts.length ? `(${texts.map((c) => `${ident(c.columnName)}::text ilike $${params.length}`).join(' or ')})` : 'false');
  }
  const where = conditions.length ? ` where ${conditions.join(' and ')}` : '';
  const text = `select * from ${ident(schema)}.${ident(table)}${where}${order.length ? ` order by ${order.join(', ')}` : ''} limit $1 offset $2`;
  const r = await sqlAs(text, as, params);
  return { rows: r.rows, total: null, estimated: false };
}

/** The columns a row is found by: the primary key, or every column of a keyless table. */
export function keyColumns(columns: Column[]): string[] {
  const pk = columns.filter((c) => c.isPrimaryKey).map((c) => c.columnName);
  return pk.length ? pk : columns.map((c) => c.columnName);
}

export function keyOf(row: Record<string, unknown>, key: string[]): Record<string, unknown> {
  return Object.fromEntries(key.map((k) => [k, row[k] ?? null]));
}

export const PREVIEW_CHARS = 120;

/** A value as the grid shows it (long values cut; the editor has them whole). */
export function display(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  const s = typeof value === 'string' ? value : JSON.stringify(value);
  return s.length > PREVIEW_CHARS ? `${s.slice(0, PREVIEW_CHARS)}…` : s;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** The text an editor starts with (never for NULL: the editor starts empty then). */
export function toEditText(value: unknown, kind: Kind): string {
  if (value === null || value === undefined) return '';
  if (kind === 'json') return JSON.stringify(value, null, 2);
  if (kind === 'timestamptz' && typeof value === 'string') {
    const d = new Date(value);
    if (!Number.isNaN(d.getTime())) {
      return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
    }
  }
  if (kind === 'timestamp' && typeof value === 'string') return value.slice(0, 19);
  return typeof value === 'string' ? value : String(value);
}

/** The value to send for an editor's text; throws with a message when it is not valid. */
export function fromEditText(text: string, kind: Kind): unknown {
  switch (kind) {
    case 'json':
      try {
        return JSON.parse(text);
      } catch {
        throw new Error('Not valid JSON');
      }
    case 'number':
      if (text.trim() === '' || Number.isNaN(Number(text))) throw new Error('Not a number');
      return text.trim();
    case 'timestamptz': {
      const d = new Date(text);
      if (Number.isNaN(d.getTime())) throw new Error('Not a date and time');
      return d.toISOString();
    }
    case 'bool':
      if (text !== 'true' && text !== 'false') throw new Error('Not true or false');
      return text === 'true';
    default:
      return text;
  }
}

export function inputType(kind: Kind): string {
  switch (kind) {
    case 'number':
      return 'number';
    case 'date':
      return 'date';
    case 'time':
      return 'time';
    case 'timestamp':
    case 'timestamptz':
      return 'datetime-local';
    default:
      return 'text';
  }
}

/** A value as the grid routes take it: json/jsonb travel as their JSON text (a JSON string value
 * would otherwise be read as the column's text), arrays as arrays. */
export function toWire(value: unknown, column: Column): unknown {
  const t = column.type.toLowerCase();
  if (value !== null && (t === 'json' || t === 'jsonb')) return JSON.stringify(value);
  return value;
}

/** The last foreign-key jump's target, so that the grid left behind keeps the filter it set. */
let lastJump = '';

export function markJump(schema: string, table: string, column: string, value: string) {
  lastJump = JSON.stringify([schema, table, column, value]);
}

/** Whether the address's table and filter are those of the last foreign-key jump. */
export function jumped(q: URLSearchParams): boolean {
  return lastJump === JSON.stringify([q.get('schema') ?? 'public', q.get('table'), q.get('filterColumn'), q.get('filterValue')]);
}
