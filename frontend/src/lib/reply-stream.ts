// Bookkeeping for one streamed reply: orders token events by seq, drops
// duplicates, notices gaps (events missed before subscribing) and rebases on
// ActiveReply. Plain TypeScript: the chat store decides when to render.
import type { ActiveReply, TokenEvent } from './types';

export type PushResult = 'ok' | 'queued' | 'dup' | 'gap';

export interface ReplyStreamInit {
  stream: string;
  conversationId: number;
  messageId: number;
  text?: string;
  seq?: number;
  /** False until the text so far is known (a stream joined mid-way). */
  synced: boolean;
}

export class ReplyStream {
  readonly stream: string;
  readonly conversationId: number;
  readonly messageId: number;
  /** Text already applied to the message. */
  text: string;
  /** Text received but not yet applied (the next frame takes it). */
  pending = '';
  /** Thinking applied to the message, and received but not yet applied. */
  thinking = '';
  pendingThinking = '';
  seq: number;
  synced: boolean;
  tokens = 0;
  tps = 0;
  off: () => void = () => {};
  private early: TokenEvent[] = [];
  private dirty = false;

  constructor(init: ReplyStreamInit) {
    this.stream = init.stream;
    this.conversationId = init.conversationId;
    this.messageId = init.messageId;
    this.text = init.text ?? '';
    this.seq = init.seq ?? 0;
    this.synced = init.synced;
  }

  push(ev: TokenEvent): PushResult {
    if (ev.completion_tokens) this.tokens = ev.completion_tokens;
    if (ev.tps) this.tps = ev.tps;
    const text = typeof ev.text === 'string' ? ev.text : '';
    const thinking = typeof ev.thinking === 'string' ? ev.thinking : '';
    const seq = typeof ev.seq === 'number' ? ev.seq : 0;
    if (!seq) {
      // Unnumbered events: trust arrival order.
      this.pending += text;
      this.pendingThinking += thinking;
      return 'ok';
    }
    if (!this.synced) {
      this.early.push(ev);
      return 'queued';
    }
    if (seq <= this.seq) return 'dup';
    if (seq > this.seq + 1) {
      this.early.push(ev);
      this.synced = false;
      return 'gap';
    }
    this.seq = seq;
    this.pending += text;
    this.pendingThinking += thinking;
    return 'ok';
  }

  /** Adopt the text so far from ActiveReply (null: the run already ended), then queued events. */
  rebase(a: ActiveReply | null): void {
    if (a && a.stream === this.stream && a.seq >= this.seq) {
      this.text = a.content ?? '';
      this.pending = '';
      this.thinking = a.thinking ?? '';
      this.pendingThinking = '';
      this.seq = a.seq;
      if (a.completion_tokens) this.tokens = a.completion_tokens;
      if (a.tps) this.tps = a.tps;
      this.dirty = true;
    }
    const queued = this.early.sort((x, y) => (x.seq ?? 0) - (y.seq ?? 0));
    this.early = [];
    for (const ev of queued) {
      if ((ev.seq ?? 0) <= this.seq) continue;
      this.seq = ev.seq ?? this.seq;
      this.pending += ev.text ?? '';
      this.pendingThinking += ev.thinking ?? '';
    }
    this.synced = true;
  }

  /** Move pending thinking into `thinking`; returns all of it if it changed, else null. */
  takeThinking(): string | null {
    if (!this.pendingThinking && !(this.dirty && this.thinking)) return null;
    this.thinking += this.pendingThinking;
    this.pendingThinking = '';
    return this.thinking;
  }

  /** Move pending text into `text`; returns the full text if it changed, else null. */
  take(): string | null {
    if (!this.pending && !this.dirty) return null;
    this.text += this.pending;
    this.pending = '';
    this.dirty = false;
    return this.text;
  }
}
