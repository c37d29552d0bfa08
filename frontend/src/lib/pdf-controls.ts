// The page view's controls (PdfPage.svelte): zoom steps and keys.

/** Zoom levels, as a share of the width that fits the panel (1: fit the width). */
export const ZOOMS: readonly number[] = [0.5, 0.75, 1, 1.25, 1.5, 2, 3];

/** The next zoom level up from z (z itself at the top). */
export function zoomIn(z: number): number {
  return ZOOMS.find((x) => x > z + 1e-9) ?? ZOOMS[ZOOMS.length - 1];
}

/** The next zoom level down from z (z itself at the bottom). */
export function zoomOut(z: number): number {
  return [...ZOOMS].reverse().find((x) => x < z - 1e-9) ?? ZOOMS[0];
}

/** "Fit width", or the zoom as a percentage of it. */
export function zoomLabel(z: number): string {
  return Math.abs(z - 1) < 1e-9 ? 'Fit width' : `${Math.round(z * 100)}%`;
}

export type PageAction = 'prev' | 'next' | 'in' | 'out' | 'fit';

/** What a key pressed on the page does, or null (the key does its usual thing). */
export function pageKey(key: string): PageAction | null {
  switch (key) {
    case 'PageUp':
      return 'prev';
    case 'PageDown':
      return 'next';
    case '+':
    case '=':
      return 'in';
    case '-':
      return 'out';
    case '0':
      return 'fit';
  }
  return null;
}
