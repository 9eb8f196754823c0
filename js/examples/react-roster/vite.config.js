import { defineConfig } from 'vite';

// Relative asset paths, so that dist/ works from any folder of any web server.
export default defineConfig({
  base: './',
  esbuild: { jsx: 'automatic' },
  build: { sourcemap: true },
});
