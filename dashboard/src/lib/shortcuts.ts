// Keyboard shortcuts: the list the shortcut sheet shows, and the test that keeps single-key
// shortcuts away from anything the user is typing into.

export interface Shortcut {
  keys: string[];
  what: string;
}

/** `g` then one of these keys goes to that page. */
export const goKeys: Record<string, { path: string; name: string }> = {
  h: { path: '/', name: 'Connect' },
  t: { path: '/tables', name: 'Tables' },
  s: { path: '/sql', name: 'SQL editor' },
  u: { path: '/users', name: 'Users' },
  p: { path: '/policies', name: 'RLS policies' },
  m: { path: '/migrations', name: 'Migrations' },
  l: { path: '/logs', name: 'Logs' },
};

const mod = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.platform) ? '⌘' : 'Ctrl';

export const shortcuts: Shortcut[] = [
  { keys: ['?'], what: 'Show this list of shortcuts' },
  { keys: [mod, 'K'], what: 'Open the command palette: go to a page or a table' },
  { keys: ['Esc'], what: 'Close a dialog or the palette' },
  { keys: ['↑', '↓', 'Enter'], what: 'In the palette: move, then open' },
  ...Object.entries(goKeys).map(([k, p]) => ({ keys: ['g', k], what: `Go to ${p.name}` })),
];

/** True when the key went to a place where the user types (so single keys must not be taken). */
export function typing(e: KeyboardEvent): boolean {
  const el = (e.composedPath?.()[0] ?? e.target) as HTMLElement | null;
  if (!el || !(el instanceof HTMLElement)) return false;
  if (el.isContentEditable) return true;
  if (el.closest('textarea, select, [contenteditable]:not([contenteditable="false"]), .cm-editor, [role="textbox"], [role="combobox"]')) return true;
  if (el instanceof HTMLInputElement) {
    return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes(el.type);
  }
  return false;
}
