// The operator console's build: a static site (dist/) that the gateway serves at `/` from its own origin —
// no CDN, nothing loaded from elsewhere, so it works offline.
import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = import.meta.dirname;

/**
 * GraphiQL's stylesheet embeds its fonts (Roboto, Fira Code) as base64 data: URLs — about 270 kB gzipped
 * of the explorer's 640, and blocked anyway by the console's Content-Security-Policy (fonts from 'self'
 * only). Without them the explorer uses the system's sans-serif and monospace fonts, its own fallbacks.
 */
function withoutEmbeddedFonts() {
  return {
    name: 'strongroom-without-embedded-fonts',
    enforce: 'pre',
    transform(code, id) {
      if (!/[\\/]graphiql[\\/]dist[\\/]style\.css$/.test(id)) return null;
      return { code: code.replace(/@font-face\s*\{[^}]*\}/g, ''), map: null };
    },
  };
}

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react(), withoutEmbeddedFonts()],
  build: {
    outDir: path.join(here, 'dist'),
    emptyOutDir: true,
    sourcemap: false,
    // budgets, checked by the console's bundle test: the pages stay small; only the explorer's own
    // chunk (GraphiQL and CodeMirror, fetched when the explorer is opened) is bigger
    chunkSizeWarningLimit: 1000,
    rolldownOptions: {
      onwarn(warning, warn) {
        // react-compiler-runtime (a GraphiQL dependency) opens with "use no memo", which bundling drops: harmless
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE' && /react-compiler-runtime/.test(warning.id ?? '')) return;
        warn(warning);
      },
    },
  },
  logLevel: 'warn',
});
