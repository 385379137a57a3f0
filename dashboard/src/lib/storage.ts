// Storage helpers: the API's shapes, object paths and human-readable sizes.

export interface Bucket {
  name: string;
  public: boolean;
  createdAt: string;
}

export interface StoredObject {
  bucket: string;
  key: string;
  size: number;
  mimeType?: string;
  uploadedAt: string;
  url: string;
}

/** The API path of a bucket, or of one object in it (the key is encoded as one segment). */
export function bucketPath(bucket: string): string {
  return `/api/storage/buckets/${encodeURIComponent(bucket)}`;
}
export function objectPath(bucket: string, key: string): string {
  return `${bucketPath(bucket)}/objects/${encodeURIComponent(key)}`;
}

/** 1234567 → "1.2 MB" (powers of 1024, like file managers). */
export function humanSize(bytes: number): string {
  if (!Number.isFinite(bytes)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n < 10 ? n.toFixed(1) : Math.round(n)} ${units[i]}`;
}

/** Saves a Blob as a file through a temporary link. */
export function saveBlob(blob: Blob, name: string) {
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10_000);
}
