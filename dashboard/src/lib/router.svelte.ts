// A small history router for paths under /dashboard/. Pages read `route.path` and `route.query`.

const BASE = '/dashboard';

function current() {
  const p = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  return { path: p.replace(/\/+$/, '') || '/', query: new URLSearchParams(location.search) };
}

export const route = $state(current());

/** Goes to a dashboard path such as `/tables?table=todos`. */
export function go(to: string, replace = false) {
  const href = BASE + (to.startsWith('/') ? to : `/${to}`);
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  Object.assign(route, current());
}

/** Changes one query parameter of the current page (`null` removes it). */
export function setQuery(changes: Record<string, string | null>, replace = true) {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) v === null ? q.delete(k) : q.set(k, v);
  const s = q.toString();
  go(`${route.path}${s ? `?${s}` : ''}`, replace);
}

export function href(to: string): string {
  return BASE + to;
}

addEventListener('popstate', () => Object.assign(route, current()));
