import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built into dist/console, which the server serves at /console (src/http/console.ts).
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  plugins: [react()],
  build: {
    outDir: path.resolve(import.meta.dirname, '../dist/console'),
    emptyOutDir: true,
  },
  server: {
    // `npx vite --config console/vite.config.ts` against a server on :3000.
    proxy: { '/v1': 'http://127.0.0.1:3000' },
  },
});
