// Every page of the dashboard: its path under /dashboard, its title, and its code (loaded on
// first visit, so the first screen stays small). Pages with `nav` appear in the side bar.
import type { Component } from 'svelte';

export interface Page {
  path: string;
  title: string;
  nav?: string;
  load: () => Promise<{ default: Component<any> }>;
}

export const pages: Page[] = [
  { path: '/', title: 'Connect', nav: 'Connect', load: () => import('./pages/Home.svelte') },
  { path: '/tables', title: 'Tables', nav: 'Tables', load: () => import('./pages/Tables.svelte') },
  { path: '/sql', title: 'SQL editor', nav: 'SQL editor', load: () => import('./pages/Sql.svelte') },
  { path: '/policies', title: 'Row Level Security', nav: 'RLS policies', load: () => import('./pages/Policies.svelte') },
  { path: '/users', title: 'Users', nav: 'Users', load: () => import('./pages/Users.svelte') },
  { path: '/secrets', title: 'Secrets', nav: 'Secrets', load: () => import('./pages/Secrets.svelte') },
  { path: '/auth-settings', title: 'Auth settings', nav: 'Auth settings', load: () => import('./pages/AuthSettings.svelte') },
  { path: '/migrations', title: 'Migrations', nav: 'Migrations', load: () => import('./pages/Migrations.svelte') },
  { path: '/storage', title: 'Storage', nav: 'Storage', load: () => import('./pages/Storage.svelte') },
  { path: '/logs', title: 'Logs', nav: 'Logs', load: () => import('./pages/Logs.svelte') },
];

export function pageFor(path: string): Page | undefined {
  return pages.find((p) => p.path === path);
}
