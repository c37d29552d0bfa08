// Clicks inside rendered model output: code "Copy" buttons, links and
// citation markers.
import { copyText, openExternal } from './api';

/** A citation marker that was clicked (see decorateCitations in markdown.ts). */
export interface CitationClick {
  marker: string;
  /** Chunk range when the marker is a known citation (summary text); else null. */
  first: number | null;
  last: number | null;
}

/** Bubbling DOM event dispatched on a clicked citation marker; see the `citations` action. */
export const CITATION_EVENT = 'chapel-citation';

function chunkAttr(el: Element, name: string): number | null {
  const v = el.getAttribute(name);
  if (v === null || v === '') return null;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 ? n : null;
}

/** The citation under an element, if any (only elements Chapel created carry data-cite). */
export function citationAt(target: Element | null): { el: HTMLElement; citation: CitationClick } | null {
  const el = target?.closest?.('[data-cite]');
  if (!(el instanceof HTMLElement)) return null;
  const first = chunkAttr(el, 'data-first');
  const last = chunkAttr(el, 'data-last');
  const ok = first !== null && last !== null;
  return { el, citation: { marker: el.textContent ?? '', first: ok ? first : null, last: ok ? last : null } };
}

export async function handleContentClick(e: MouseEvent): Promise<void> {
  const target = e.target as Element | null;
  if (!target?.closest) return;
  const cite = citationAt(target);
  if (cite) {
    e.preventDefault();
    cite.el.dispatchEvent(new CustomEvent<CitationClick>(CITATION_EVENT, { bubbles: true, detail: cite.citation }));
    return;
  }
  const copyBtn = target.closest('[data-copy-code]');
  if (copyBtn) {
    e.preventDefault();
    const code = copyBtn.closest('.code-block')?.querySelector('pre code');
    const ok = await copyText(code?.textContent ?? '');
    copyBtn.textContent = ok ? 'Copied' : 'Copy failed';
    setTimeout(() => (copyBtn.textContent = 'Copy'), 1500);
    return;
  }
  const link = target.closest('a');
  if (link) {
    // Never navigate the app window; open web links in the system browser.
    e.preventDefault();
    const href = link.getAttribute('href') ?? '';
    if (href.startsWith('#')) return;
    openExternal(href);
  }
}

export type CitationHandler = (c: CitationClick, el: HTMLElement) => void;

/** Svelte action: call `cb` for citation markers clicked anywhere inside the node. */
export function citations(node: HTMLElement, cb: CitationHandler) {
  let handler = cb;
  const listener = (e: Event) => {
    const detail = (e as CustomEvent<CitationClick>).detail;
    if (detail && e.target instanceof HTMLElement) handler(detail, e.target);
  };
  node.addEventListener(CITATION_EVENT, listener);
  return {
    update(next: CitationHandler) {
      handler = next;
    },
    destroy() {
      node.removeEventListener(CITATION_EVENT, listener);
    },
  };
}
