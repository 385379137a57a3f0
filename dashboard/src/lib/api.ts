// The admin API client. The access token lives in memory only; a reload gets a new one through
// the httpOnly refresh cookie plus the CSRF token (kept in a cookie this script writes), as
// InsForge's dashboard does. Every call is same-origin under /api.

const CSRF_COOKIE = 'insforge_admin_csrf_token';
let accessToken: string | null = null;
let refreshing: Promise<boolean> | null = null;

/** An error answer from the server: InsForge's envelope `{error, message}` or PostgREST's `{code, message}`. */
export class ApiError extends Error {
  status: number;
  code: string;
  body: unknown;
  constructor(status: number, code: string, message: string, body: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

function readCsrf(): string | null {
  const m = document.cookie.match(new RegExp(`(?:^|; )${CSRF_COOKIE}=([^;]*)`));
  return m ? decodeURIComponent(m[1]) : null;
}

function writeCsrf(token: string | null) {
  const secure = location.protocol === 'https:' ? '; Secure' : '';
  document.cookie = token
    ? `${CSRF_COOKIE}=${encodeURIComponent(token)}; Path=/; Max-Age=${7 * 86400}; SameSite=Strict${secure}`
    : `${CSRF_COOKIE}=; Path=/; Max-Age=0; SameSite=Strict${secure}`;
}

export function signedIn(): boolean {
  return accessToken !== null;
}

interface Session {
  accessToken: string;
  csrfToken: string;
  admin: { sub: string };
}

function keep(s: Session) {
  accessToken = s.accessToken;
  writeCsrf(s.csrfToken);
}

export async function login(username: string, password: string): Promise<void> {
  const s = await call<Session>('/api/auth/admin/sessions', { method: 'POST', body: { username, password }, auth: false });
  keep(s);
}

export async function logout(): Promise<void> {
  const csrf = readCsrf();
  try {
    await fetch('/api/auth/admin/logout', { method: 'POST', credentials: 'include', headers: csrf ? { 'X-CSRF-Token': csrf } : {} });
  } catch {
    /* the session ends locally whatever the server says */
  }
  accessToken = null;
  writeCsrf(null);
}

/** Trades the refresh cookie for a new access token; one attempt shared by concurrent callers. */
export function refresh(): Promise<boolean> {
  const csrf = readCsrf();
  if (!csrf) return Promise.resolve(false);
  refreshing ??= (async () => {
    try {
      const res = await fetch('/api/auth/admin/refresh', { method: 'POST', credentials: 'include', headers: { 'X-CSRF-Token': csrf } });
      if (!res.ok) {
        accessToken = null;
        writeCsrf(null);
        return false;
      }
      keep(await res.json());
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

let onSignedOut: () => void = () => {};
/** What to do when the session is gone for good (the app sends the user to the login page). */
export function whenSignedOut(f: () => void) {
  onSignedOut = f;
}

export interface CallOptions {
  method?: string;
  body?: unknown;
  headers?: Record<string, string>;
  query?: Record<string, string | number | boolean | undefined | null>;
  auth?: boolean;
  /** Return the Response itself (for headers, blobs and streams). */
  raw?: boolean;
  signal?: AbortSignal;
}

export function url(path: string, query?: CallOptions['query']): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}${path.includes('?') ? '&' : '?'}${s}` : path;
}

async function send(path: string, o: CallOptions): Promise<Response> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  let body: BodyInit | undefined;
  if (o.body instanceof FormData || o.body instanceof Blob || typeof o.body === 'string') body = o.body as BodyInit;
  else if (o.body !== undefined) {
    body = JSON.stringify(o.body);
    headers['Content-Type'] ??= 'application/json';
  }
  if (o.auth !== false && accessToken) headers.Authorization = `Bearer ${accessToken}`;
  return fetch(url(path, o.query), { method: o.method ?? 'GET', headers, body, credentials: 'include', signal: o.signal });
}

export async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  const b = (body ?? {}) as Record<string, unknown>;
  const message = typeof b.message === 'string' ? b.message : `HTTP ${res.status}: ${text.slice(0, 200)}`;
  const code = typeof b.error === 'string' ? b.error : typeof b.code === 'string' ? b.code : String(res.status);
  return new ApiError(res.status, code, message, body);
}

/** One admin API call: JSON in, JSON out; a 401 refreshes the session once and retries. */
export async function call<T = any>(path: string, o: CallOptions = {}): Promise<T> {
  let res = await send(path, o);
  if (res.status === 401 && o.auth !== false) {
    if (await refresh()) res = await send(path, o);
    else onSignedOut();
  }
  if (o.raw) {
    if (!res.ok) throw await errorOf(res);
    return res as unknown as T;
  }
  if (!res.ok) throw await errorOf(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Parses `Content-Range: a-b/total` (total `*` → unknown). */
export function rangeTotal(res: Response): number | null {
  const m = res.headers.get('Content-Range')?.match(/\/(\d+|\*)$/);
  return m && m[1] !== '*' ? Number(m[1]) : null;
}

/** Runs SQL through the SQL editor API. */
export function sql<T = Record<string, unknown>>(query: string, params: unknown[] = []) {
  return call<{ rows: T[]; rowCount: number; fields: { name: string; dataTypeID: number }[] }>('/api/database/advance/rawsql', {
    method: 'POST',
    body: { query, params },
  });
}

/** The result of a SQL run: the SQL editor API's shape. */
export interface SqlResult<T = Record<string, unknown>> {
  rows: T[];
  rowCount: number;
  fields: { name: string; dataTypeID: number }[];
}

/**
 * Runs SQL as anon or as an authenticated subject, under RLS, through oxforge's
 * `POST /api/oxforge/sql/as {query, params, role, sub?, commit?}` (one transaction; rolled back
 * unless `commit`). Same answer shape as the SQL editor API.
 */
export function sqlAs<T = Record<string, unknown>>(
  query: string,
  as: { role: 'anon' | 'authenticated'; sub?: string },
  params: unknown[] = [],
  commit = false,
) {
  return call<SqlResult<T>>('/api/oxforge/sql/as', { method: 'POST', body: { query, params, role: as.role, sub: as.sub, commit } });
}

/** Quotes an SQL identifier (names come from the catalog; this keeps generated SQL exact). */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** Quotes an SQL string literal. */
export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function xhrSend(path: string, form: FormData, onProgress: (fraction: number) => void, method: string): Promise<XMLHttpRequest> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, path);
    xhr.withCredentials = true;
    if (accessToken) xhr.setRequestHeader('Authorization', `Bearer ${accessToken}`);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => resolve(xhr);
    xhr.onerror = () => reject(new ApiError(0, 'NETWORK', 'The upload failed: the server could not be reached', null));
    xhr.onabort = () => reject(new ApiError(0, 'ABORTED', 'The upload was cancelled', null));
    xhr.send(form);
  });
}

/**
 * Sends a multipart form with XMLHttpRequest (fetch cannot report upload progress), with the
 * admin token like `call`; `onProgress` gets 0…1 as the body goes out. A 401 refreshes the
 * session once and sends again. Resolves with the parsed JSON answer; throws `ApiError`.
 */
export async function upload<T = any>(path: string, form: FormData, onProgress: (fraction: number) => void = () => {}, method = 'PUT'): Promise<T> {
  let xhr = await xhrSend(path, form, onProgress, method);
  if (xhr.status === 401) {
    if (await refresh()) {
      onProgress(0);
      xhr = await xhrSend(path, form, onProgress, method);
    } else onSignedOut();
  }
  const text = xhr.responseText;
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON */
  }
  if (xhr.status < 200 || xhr.status >= 300) {
    const b = (body ?? {}) as Record<string, unknown>;
    const message = typeof b.message === 'string' ? b.message : `HTTP ${xhr.status}: ${text.slice(0, 200)}`;
    const code = typeof b.error === 'string' ? b.error : String(xhr.status);
    throw new ApiError(xhr.status, code, message, body);
  }
  onProgress(1);
  return body as T;
}
