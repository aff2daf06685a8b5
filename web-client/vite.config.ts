/**
 * Vite build of the web app. The output (dist/index.html and hashed dist/assets/*) is what the gate serves at /.
 * Workspace packages compile to CommonJS in their dist/; the browser bundle takes their TypeScript sources
 * instead (aliases below), so the page gets ES modules and tree shaking.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Alias } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const require = createRequire(import.meta.url);

/**
 * The protocol codec imports Buffer from 'node:buffer'. When the `buffer` package (a browser Buffer) is
 * installed, both spellings resolve to it; otherwise no alias, and a core that needs Buffer fails the build loudly.
 */
function bufferAliases(): Alias[] {
  try {
    const dir = dirname(require.resolve('buffer/package.json'));
    return [{ find: /^(node:)?buffer\/?$/, replacement: join(dir, 'index.js') }];
  } catch {
    return [];
  }
}

export default defineConfig({
  plugins: [react()],
  // Relative asset URLs: the same build works at the gate's / and inside Electron's file:// renderer.
  base: './',
  resolve: {
    alias: [
      { find: /^@parley\/client$/, replacement: here('../client/src/index.ts') },
      { find: /^@parley\/client\/(.+)$/, replacement: here('../client/src/$1.ts') },
      { find: /^@parley\/protocol$/, replacement: here('../protocol/src/index.ts') },
      { find: /^@parley\/protocol\/(.+)$/, replacement: here('../protocol/src/$1.ts') },
      ...bufferAliases(),
    ],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Hashed file names under assets/: the gate caches those for a year and index.html not at all.
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2022',
    // No inline data: URLs for scripts or styles; the CSP allows only 'self' for them.
    assetsInlineLimit: 0,
  },
});
