// CSV out and in for the grid: export streams the whole table (up to the server's row limit)
// from `GET /api/database/tables/:t/export?format=csv` into a download; import sends a file to
// `POST /api/database/advance/bulk-upsert` as InsForge's dashboard does (multipart: table,
// schema, file).
import { call } from './api';

/** Downloads `<table>.csv`. Resolves with the file's size in bytes. */
export async function exportCsv(schema: string, table: string): Promise<number> {
  const res = await call<Response>(`/api/database/tables/${encodeURIComponent(table)}/export`, {
    raw: true,
    query: { format: 'csv', schema: schema === 'public' ? undefined : schema },
  });
  const blob = await res.blob();
  const href = URL.createObjectURL(new Blob([blob], { type: 'text/csv' }));
  const a = document.createElement('a');
  a.href = href;
  a.download = `${table}.csv`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
  return blob.size;
}

export interface ImportResult {
  success: boolean;
  message: string;
  table: string;
  rowsAffected: number;
  totalRecords: number;
  filename: string | null;
}

/** Imports a `.csv` (header row) or `.json` file into the table, all rows or none. */
export function importFile(schema: string, table: string, file: File, upsertKey?: string): Promise<ImportResult> {
  const form = new FormData();
  form.append('table', table);
  form.append('schema', schema);
  if (upsertKey) form.append('upsertKey', upsertKey);
  form.append('file', file, file.name);
  return call<ImportResult>('/api/database/advance/bulk-upsert', { method: 'POST', body: form });
}
