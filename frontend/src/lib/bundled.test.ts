import { describe, expect, it } from 'vitest';
import pkg from '../../package.json';
import { BUNDLED } from './bundled';

// A package's name as the About box may write it: no "-dist", no dots, any case.
const plain = (s: string) =>
  s
    .toLowerCase()
    .replace(/-dist$/, '')
    .replace(/\./g, '');

describe('bundled software', () => {
  it('names every package the web UI ships (package.json dependencies)', () => {
    const names = BUNDLED.map((b) => plain(b.name));
    const deps = Object.keys(pkg.dependencies);
    expect(deps.length).toBeGreaterThan(3);
    for (const dep of deps) {
      expect(
        names.some((n) => n.includes(plain(dep))),
        `${dep} is missing from the About box (bundled.ts)`,
      ).toBe(true);
    }
  });

  it('gives each a use and a licence', () => {
    for (const b of BUNDLED) {
      expect(b.what.length, b.name).toBeGreaterThan(0);
      expect(b.licence.length, b.name).toBeGreaterThan(0);
    }
  });
});
