// Light, dark or the system's choice, kept in localStorage and applied before the first paint.

export type Theme = 'light' | 'dark' | 'system';
const KEY = 'oxforge.theme';

export function getTheme(): Theme {
  const t = localStorage.getItem(KEY);
  return t === 'light' || t === 'dark' ? t : 'system';
}

export function applyTheme(t: Theme = getTheme()) {
  const dark = t === 'dark' || (t === 'system' && matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
  document.documentElement.dataset.themeChoice = t;
}

export function setTheme(t: Theme) {
  localStorage.setItem(KEY, t);
  applyTheme(t);
}

matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => applyTheme());
