// Short messages at the corner of the screen: errors from the server, confirmations.

export interface Toast {
  id: number;
  kind: 'ok' | 'error';
  text: string;
}

export const toasts = $state<Toast[]>([]);
let next = 1;

export function toast(text: string, kind: Toast['kind'] = 'ok') {
  const id = next++;
  toasts.push({ id, kind, text });
  setTimeout(() => dismiss(id), kind === 'error' ? 8000 : 3000);
}

export function dismiss(id: number) {
  const i = toasts.findIndex((t) => t.id === id);
  if (i >= 0) toasts.splice(i, 1);
}

/** An error's message (the server's `message` when it sent one). */
export function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Shows an error's message as a toast. */
export function fail(e: unknown) {
  toast(message(e), 'error');
}
