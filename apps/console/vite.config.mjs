// The operator console's build: a static site (dist/) that the gateway serves at `/` from its own origin —
// no CDN, nothing loaded from elsewhere, so it works offline.
import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = import.meta.dirname;

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  build: {
    outDir: path.join(here, 'dist'),
    emptyOutDir: true,
    sourcemap: false,
    // a budget, checked by the console's bundle test: the whole app stays small
    chunkSizeWarningLimit: 600,
  },
  logLevel: 'warn',
});
