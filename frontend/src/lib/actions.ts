// Small Svelte actions used by several components.

/** Focus (and optionally select) an element when it mounts. */
export function autofocus(node: HTMLElement, select = false) {
  queueMicrotask(() => {
    node.focus();
    if (select && (node instanceof HTMLInputElement || node instanceof HTMLTextAreaElement)) node.select();
  });
}

/** Call `cb` on a pointer press outside the node. */
export function clickOutside(node: HTMLElement, cb: () => void) {
  let handler = cb;
  const onDown = (e: PointerEvent | MouseEvent) => {
    if (!node.contains(e.target as Node)) handler();
  };
  document.addEventListener('mousedown', onDown, true);
  return {
    update(next: () => void) {
      handler = next;
    },
    destroy() {
      document.removeEventListener('mousedown', onDown, true);
    },
  };
}
