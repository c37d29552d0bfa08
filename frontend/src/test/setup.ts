import { afterEach } from 'vitest';

afterEach(() => {
  delete window.go;
  delete window.runtime;
});
