/** Svelte action: Tab and Shift+Tab stay inside node while it is shown. */
export function trapFocus(node: HTMLElement): { destroy(): void } {
  const selector =
    'a[href], button:not([disabled]), input:not([disabled]), textarea:not([disabled]), select:not([disabled]), [tabindex]:not([tabindex="-1"])';
  function onkeydown(e: KeyboardEvent) {
    if (e.key !== 'Tab') return;
    const items = [...node.querySelectorAll<HTMLElement>(selector)];
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  }
  node.addEventListener('keydown', onkeydown);
  return { destroy: () => node.removeEventListener('keydown', onkeydown) };
}

/** trapFocus while on is true: for a panel that is a dialog only sometimes (the sidebar as a drawer). */
export function trapFocusWhen(node: HTMLElement, on: boolean): { update(on: boolean): void; destroy(): void } {
  let trap = on ? trapFocus(node) : null;
  return {
    update(next: boolean) {
      if (next && !trap) trap = trapFocus(node);
      if (!next && trap) {
        trap.destroy();
        trap = null;
      }
    },
    destroy: () => trap?.destroy(),
  };
}
