import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

// Wails serves dist/ from its own asset server; relative asset URLs keep the
// build independent of the origin (wails://, http://wails.localhost, devserver).
export default defineConfig({
  base: './',
  plugins: [svelte(), svelteTesting()],
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
