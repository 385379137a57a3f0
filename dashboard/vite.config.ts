// The dashboard is served by oxforge at /dashboard/; its build is committed (the binary embeds it,
// so `cargo build` needs no Node). `npm run dev` serves the sources and forwards /api to an oxforge
// started separately (OXFORGE_URL, default http://127.0.0.1:7130).
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  base: '/dashboard/',
  plugins: [svelte()],
  build: {
    outDir: '../crates/oxforge-dashboard/assets',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: { '/api': process.env.OXFORGE_URL ?? 'http://127.0.0.1:7130' },
  },
});
