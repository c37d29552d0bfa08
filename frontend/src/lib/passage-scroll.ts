/** The nearest ancestor of el that scrolls vertically, or null. */
function scroller(el: HTMLElement): HTMLElement | null {
  for (let p = el.parentElement; p; p = p.parentElement) {
    const y = getComputedStyle(p).overflowY;
    if ((y === 'auto' || y === 'scroll') && p.scrollHeight > p.clientHeight) return p;
  }
  return null;
}

/**
 * Scroll the panel el is in (only that one, never the window) so that el
 * starts a third of the way down, unless all of it is in view already.
 */
export function scrollIntoPanel(el: HTMLElement): void {
  const box = scroller(el);
  if (!box) return;
  const b = box.getBoundingClientRect();
  const r = el.getBoundingClientRect();
  if (r.top >= b.top && r.bottom <= b.bottom) return;
  box.scrollTop += r.top - b.top - Math.max(0, Math.min(b.height / 3, b.height - r.height));
}
