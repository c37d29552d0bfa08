// Text the document views show: a document's format, pages and size, the
// passage panel's heading, and a summary's progress, button and notices.
import { formatBytes } from './format';
import type { PassageState } from './stores/documents.svelte';
import type { DocumentInfo, SummaryProgress, SummaryView } from './types';

const FORMAT_LABELS: Record<string, string> = {
  pdf: 'PDF',
  docx: 'Word',
  odt: 'OpenDocument',
  epub: 'EPUB',
  html: 'HTML',
  markdown: 'Markdown',
  text: 'Text',
  rtf: 'RTF',
};

export function formatLabel(format: string): string {
  return FORMAT_LABELS[format] ?? (format ? format.toUpperCase() : 'Document');
}

export function pagesText(n: number): string {
  return n > 0 ? `${n} ${n === 1 ? 'page' : 'pages'}` : '';
}

/** "PDF · 113 pages · 2.1 MB" */
export function documentMeta(d: DocumentInfo): string {
  return [formatLabel(d.format), pagesText(d.pages), formatBytes(d.size_bytes)].filter(Boolean).join(' · ');
}

/** What a PDF cut short is missing: pages it announces but could not be read, or its lost page tree. */
export function pagesWarning(d: DocumentInfo): string {
  if (d.pages_announced > d.pages) {
    return `Only ${d.pages} of the ${d.pages_announced} pages this PDF announces could be read; the file may be cut short.`;
  }
  if (d.pages_lost) {
    return `This PDF's list of pages is missing, so only the ${pagesText(d.pages)} found could be read; the file may be cut short.`;
  }
  return '';
}

/** "Page 5", "Pages 12–14" (nothing for documents without pages). */
export function pageRange(start: number, end: number): string {
  if (!start) return '';
  return !end || end === start ? `Page ${start}` : `Pages ${start}–${end}`;
}

/** The passage panel's heading: its pages and section. */
export function passageHeading(p: PassageState): string {
  if (!p.passage) return p.marker || 'Passage';
  const parts = [pageRange(p.passage.page_start, p.passage.page_end), p.passage.section].filter(Boolean);
  return parts.join(' · ') || p.marker || 'Passage';
}

export function tpsText(tps: number): string {
  if (!tps || !isFinite(tps) || tps < 0) return '';
  return `${tps >= 10 ? Math.round(tps) : tps.toFixed(1)} tok/s`;
}

/** "about 2 min left"; a negative ETA (not known yet) reads "estimating…". */
export function etaText(seconds: number): string {
  if (typeof seconds !== 'number' || !isFinite(seconds) || seconds < 0) return 'estimating…';
  if (seconds < 60) return 'less than a minute left';
  const min = Math.round(seconds / 60);
  if (min < 60) return `about ${min} min left`;
  const h = Math.floor(min / 60);
  const m = min % 60;
  return m ? `about ${h} h ${m} min left` : `about ${h} h left`;
}

/** "12 of 40 steps · 35 tok/s · about 2 min left": steps as the plan counts them (its parts, then the combining). */
export function progressText(p: SummaryProgress): string {
  if (p.status === 'pending') return 'Waiting for the model…';
  const parts: string[] = [];
  if (p.pieces_total > 0) {
    const pieces = `${p.pieces_done} of ${p.pieces_total} ${p.pieces_total === 1 ? 'step' : 'steps'}`;
    parts.push(p.level > 0 ? `combining: ${pieces}` : pieces);
  } else {
    parts.push('starting');
  }
  const tps = tpsText(p.tokens_per_second);
  if (tps) parts.push(tps);
  parts.push(etaText(p.eta_seconds));
  return parts.join(' · ');
}

/** Share of the work done, 0..1, or null while unknown. */
export function progressFraction(p: SummaryProgress): number | null {
  return p.pieces_total > 0 ? Math.min(1, Math.max(0, p.pieces_done / p.pieces_total)) : null;
}

/** What the Summarize button says for the summary shown (null: no button, it is complete or running). */
export function summarizeLabel(v: SummaryView | undefined): string | null {
  if (!v) return 'Summarize';
  switch (v.status) {
    case 'complete':
    case 'running':
    case 'pending':
      return null;
    case 'canceled':
      return 'Resume';
    case 'partial':
      return 'Retry the missing parts';
    case 'failed':
      return 'Try again';
    default:
      return 'Summarize';
  }
}

/** A summary another Chapel is making: what it has saved so far, and what happens next. */
export function elsewhereNotice(v: SummaryView): string {
  const saved = v.pieces_total > 0 ? ` (${v.pieces_done} of ${v.pieces_total} steps saved so far)` : '';
  return `This summary is being made in another Chapel window or command${saved}. It shows here once that finishes, or can be resumed here if it is stopped.`;
}

/** An honest line about a summary that did not complete (null when there is nothing to say). */
export function statusNotice(v: SummaryView): { kind: 'warn' | 'error' | 'info'; text: string } | null {
  switch (v.status) {
    case 'partial':
      return { kind: 'warn', text: `Some parts could not be summarized: ${v.error || 'unknown error'}` };
    case 'failed':
      return { kind: 'error', text: `The summary failed: ${v.error || 'unknown error'}` };
    case 'canceled':
      return {
        kind: 'info',
        text:
          v.pieces_total > 0
            ? `Stopped after ${v.pieces_done} of ${v.pieces_total} steps. Resume to finish it.`
            : 'Stopped. Resume to finish it.',
      };
    default:
      return null;
  }
}
