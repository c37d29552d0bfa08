import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Plugin } from 'vite';

// pdf.js (the passage panel's page view) reads CMaps, standard fonts, image
// decoders and an ICC profile from URLs when a PDF needs them: they are
// copied into dist/pdfjs/ so that every one is served by the app itself.
function pdfjsAssets(): Plugin {
  const from = join(import.meta.dirname, 'node_modules/pdfjs-dist');
  const dirs: Record<string, RegExp> = {
    cmaps: /\.bcmap$/,
    standard_fonts: /\.(pfb|ttf)$|^LICENSE/,
    wasm: /^(openjpeg|jbig2|qcms_bg)\.wasm$|^LICENSE/,
    iccs: /\.icc$|^LICENSE/,
  };
  return {
    name: 'chapel-pdfjs-assets',
    apply: 'build',
    generateBundle() {
      for (const [dir, keep] of Object.entries(dirs)) {
        for (const name of readdirSync(join(from, dir)).filter((n) => keep.test(n))) {
          this.emitFile({ type: 'asset', fileName: `pdfjs/${dir}/${name}`, source: readFileSync(join(from, dir, name)) });
        }
      }
    },
  };
}

// Wails serves dist/ from its own asset server; relative asset URLs keep the
// build independent of the origin (wails://, http://wails.localhost, devserver).
export default defineConfig({
  base: './',
  plugins: [svelte(), svelteTesting(), pdfjsAssets()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // WebKitGTK 4.1 (Safari-class engine); keep syntax conservative.
    target: ['es2020', 'safari14'],
    chunkSizeWarningLimit: 800,
  },
  server: {
    strictPort: true,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test/setup.ts'],
    restoreMocks: true,
  },
});
