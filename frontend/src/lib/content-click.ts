// Clicks inside rendered model output: code "Copy" buttons and links.
import { copyText, openExternal } from './api';

export async function handleContentClick(e: MouseEvent): Promise<void> {
  const target = e.target as Element | null;
  if (!target?.closest) return;
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
