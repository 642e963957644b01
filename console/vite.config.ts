/**
 * The console's build: one static bundle under console/dist, served at /console by the local
 * service and by `pakka console` (local/consoleAssets.ts runs this build when the bundle is stale).
 * Everything is bundled; the page loads nothing from the network.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  logLevel: 'warn',
  build: {
    // local/consoleAssets.ts builds into dist/<hash of the sources>; a build by hand goes beside those.
    outDir: 'dist/by-hand',
    emptyOutDir: true,
    // No inline data: URLs: the page's CSP allows only its own files.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    // The graph layout engine is one large module, loaded only by the transaction page.
    chunkSizeWarningLimit: 2000,
    rolldownOptions: { checks: { pluginTimings: false } },
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
});
