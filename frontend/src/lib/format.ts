// Small pure formatting helpers.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** "just now", "5 min ago", "3 h ago", "Yesterday", "Mon", "12 Mar", "12 Mar 2023". */
export function relativeTime(ms: number, now: number = Date.now()): string {
  if (!ms) return '';
  const diff = now - ms;
  if (diff < MINUTE) return 'just now';
  if (diff < HOUR) return `${Math.floor(diff / MINUTE)} min ago`;
  const then = new Date(ms);
  const today = new Date(now);
  today.setHours(0, 0, 0, 0);
  if (ms >= today.getTime()) return `${Math.floor(diff / HOUR)} h ago`;
  if (ms >= today.getTime() - DAY) return 'Yesterday';
  if (ms >= today.getTime() - 6 * DAY) return then.toLocaleDateString(undefined, { weekday: 'short' });
  const sameYear = then.getFullYear() === today.getFullYear();
  return then.toLocaleDateString(
    undefined,
    sameYear ? { day: 'numeric', month: 'short' } : { day: 'numeric', month: 'short', year: 'numeric' },
  );
}

export function formatBytes(n: number): string {
  if (!n || n < 0) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function formatParams(n: number): string {
  if (!n) return '';
  if (n >= 1e9) return `${(n / 1e9).toFixed(n >= 1e10 ? 0 : 1)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)} M`;
  if (n >= 1e3) return `${Math.round(n / 1e3)} K`;
  return String(n);
}

export function formatTps(tps: number): string {
  if (!tps || !isFinite(tps)) return '';
  return `${tps >= 100 ? Math.round(tps) : tps.toFixed(1)} tok/s`;
}

export function basename(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/** The folder part of path ('' for a bare name). */
export function dirname(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i < 0 ? '' : path.slice(0, i);
}

export function isGguf(path: string): boolean {
  return /\.gguf$/i.test(path.trim());
}

/** A conversations export (Chapel's, ChatGPT's or Claude's conversations.json or its zip, Open WebUI's): never a document. */
export function isExport(path: string): boolean {
  return /\.(json|zip)$/i.test(path.trim());
}

/** Whether a ModelEntry.source is a folder (its path) rather than a kind ("models_dir", "other"). */
export function isPathSource(source: string): boolean {
  return /[\\/]/.test(source || '');
}

/** A readable heading for a ModelEntry.source ("models_dir" → "Models dir"); a folder's path as it is. */
export function sourceLabel(source: string): string {
  if (isPathSource(source)) return source;
  const s = (source || 'other').replace(/[_-]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}
