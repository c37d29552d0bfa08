// Formatting for the model catalogue and its downloads.
import { formatBytes } from './format';
import type { CatalogModel, DownloadProgress, Machine } from './types';

/** "12.3 MB/s". */
export function formatSpeed(bytesPerSec: number): string {
  if (!bytesPerSec || !isFinite(bytesPerSec) || bytesPerSec <= 0) return '';
  return `${formatBytes(bytesPerSec)}/s`;
}

/** "about 40 s left", "about 3 min left", "about 1.5 h left"; '' while unknown. */
export function formatTimeLeft(seconds: number): string {
  if (seconds < 0 || !isFinite(seconds)) return '';
  if (seconds < 60) return `about ${Math.max(1, Math.round(seconds))} s left`;
  if (seconds < 3600) return `about ${Math.round(seconds / 60)} min left`;
  return `about ${(seconds / 3600).toFixed(1)} h left`;
}

/** 0..1 done, or null while the size is unknown. */
export function downloadFraction(p: DownloadProgress): number | null {
  return p.total > 0 ? Math.min(1, p.done / p.total) : null;
}

/** One line for a download: "45 % · 1.2 GB of 2.5 GB · 12 MB/s · about 2 min left". */
export function downloadLine(p: DownloadProgress): string {
  switch (p.state) {
    case 'queued':
      return 'Starting…';
    case 'checking':
      return p.done > 0 ? `Checking the ${formatBytes(p.done)} already downloaded…` : 'Asking the server…';
    case 'verifying':
      return 'Checking the SHA-256…';
    case 'retrying':
      return `${p.error || 'Network error'}; trying again…`;
    case 'paused':
      return `Paused at ${formatBytes(p.done)}${p.total > 0 ? ` of ${formatBytes(p.total)}` : ''}`;
    case 'failed':
      return p.error || 'The download failed';
    case 'done':
      return 'Downloaded';
    case 'canceled':
      return 'Canceled';
  }
  const parts: string[] = [];
  if (p.total > 0) parts.push(`${Math.floor((p.done / p.total) * 100)} %`);
  parts.push(p.total > 0 ? `${formatBytes(p.done)} of ${formatBytes(p.total)}` : formatBytes(p.done) || '0 B');
  const speed = formatSpeed(p.bytes_per_sec);
  if (speed) parts.push(speed);
  const left = formatTimeLeft(p.seconds_left);
  if (left && speed) parts.push(left);
  return parts.join(' · ');
}

/** Why a catalogue model does not fit, or '' when it does. */
export function fitProblem(m: CatalogModel, machine: Machine | null | undefined): string {
  if (!m.fits_memory) {
    const have = machine && machine.total_memory > 0 ? ` (this computer has ${formatBytes(machine.total_memory)})` : '';
    return `Needs about ${formatBytes(m.needs_memory)} of memory${have}`;
  }
  if (!m.fits_disk) {
    const free = machine && machine.disk_free >= 0 ? ` (${formatBytes(machine.disk_free)} free)` : '';
    return `Needs ${formatBytes(m.size_bytes)} of disk${free}`;
  }
  return '';
}

/** "16 GB memory, 9 GB free now · 120 GB free disk". */
export function machineLine(m: Machine | null | undefined): string {
  if (!m) return '';
  const parts: string[] = [];
  if (m.total_memory > 0) {
    parts.push(`${formatBytes(m.total_memory)} memory${m.available_memory > 0 ? `, ${formatBytes(m.available_memory)} free now` : ''}`);
  }
  if (m.disk_free >= 0) parts.push(`${formatBytes(m.disk_free)} free disk`);
  return parts.join(' · ');
}
