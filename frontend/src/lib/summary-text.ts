// Text about a summary's pieces and engines: who did what, how fast, and
// how the plan counted its tokens.
import { tpsText } from './document-text';
import type { EngineProgress, PieceStatus, SummaryPiece, TokenCounts } from './types';

/** "This computer" for the local engine; an endpoint by its name without its URL. */
export function engineName(engine: string): string {
  if (!engine || engine === 'local') return 'This computer';
  const m = /^(.*) \((?:https?:\/\/)?[^()]*\)$/.exec(engine);
  return m && m[1] ? m[1] : engine;
}

/** "3 done · 2 in flight · 48 tok/s"; an endpoint that sits out says why: "0 done · sits out: its context …" */
export function engineStats(e: EngineProgress): string {
  const parts = [`${e.done} done`];
  if (e.in_flight > 0) parts.push(`${e.in_flight} in flight`);
  const tps = tpsText(e.tokens_per_second);
  if (tps) parts.push(tps);
  if (sitsOut(e)) parts.push(`sits out: ${e.sits_out}`);
  return parts.join(' · ');
}

/** Whether an engine sits the summary's steps out now (it has none in flight and said why). */
export function sitsOut(e: EngineProgress): boolean {
  return !!e.sits_out && e.in_flight === 0;
}

/**
 * "12 steps: 8 on this computer, 4 on Second Chapel" (a finished summary's
 * engines; steps as the plan counts them). total, when known, is every step
 * of the plan: a step that only passed one part up unchanged needed no
 * engine, and is said so ("37 steps: 33 on this computer, 4 passed on as
 * they were"), so the count agrees with the plan's.
 */
export function madeBy(all: EngineProgress[], total = 0): string {
  const engines = all.filter((e) => e.done > 0); // one that sat every step out made nothing
  const written = engines.reduce((n, e) => n + e.done, 0);
  if (written === 0) return '';
  const steps = Math.max(total, written);
  const head = `${steps} ${steps === 1 ? 'step' : 'steps'}`;
  const passed = steps - written;
  const rest = passed > 0 ? `, ${passed} passed on as ${passed === 1 ? 'it was' : 'they were'}` : '';
  if (engines.length === 1 && !rest) return `${head}, made on ${onEngine(engines[0].engine)}`;
  return `${head}: ${engines.map((e) => `${e.done} on ${onEngine(e.engine)}`).join(', ')}${rest}`;
}

function onEngine(engine: string): string {
  return !engine || engine === 'local' ? 'this computer' : engineName(engine);
}

const PIECE_STATUS: Record<PieceStatus, string> = {
  done: 'Done',
  failed: 'Failed',
  running: 'Being summarised',
  pending: 'Waiting',
};

/** What a piece's badge says: "Done · Second", "Being summarised · This computer", "Waiting". */
export function pieceBadge(p: SummaryPiece): string {
  const status = PIECE_STATUS[p.status] ?? p.status;
  return p.engine && p.status !== 'pending' ? `${status} · ${engineName(p.engine)}` : status;
}

/** "5 of 12 parts summarised so far" */
export function piecesHeading(done: number, total: number, live: boolean): string {
  if (total === 0) return live ? 'Planning the parts…' : '';
  const parts = `${total} ${total === 1 ? 'part' : 'parts'}`;
  if (!live) return `The ${parts} it was made from`;
  return `${done} of ${parts} summarised so far`;
}

/** A plan whose token counts are estimates says so; the others need no warning. */
export function estimated(counts: TokenCounts | undefined): boolean {
  return counts === 'estimate';
}
