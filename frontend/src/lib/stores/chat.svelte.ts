import { api, subscribeStream } from '../api';
import { createFrameBatcher, nextFrame, type FrameBatcher, type Scheduler } from '../frame';
import { ReplyStream } from '../reply-stream';
import type { ConversationDetail, DoneEvent, Message, SendResult, StreamErrorEvent, TokenEvent } from '../types';
import { conversations as defaultConversations, type ConversationsStore } from './conversations.svelte';
import { toasts, type ToastStore } from './toasts.svelte';

/** Numbers for the status bar: the current or last reply of the open conversation. */
export interface ReplyStats {
  tps: number;
  completion_tokens: number;
  context_used: number;
  context_size: number;
  /** Older messages left out of the last prompt to fit the context. */
  dropped: number;
  /** Tokens left out from the start of the last message, too long for the context alone. */
  cut?: number;
  shifted: number;
  /** How the last prompt was adapted to the model's template (one sentence), or ''. */
  note?: string;
  /** Threads the reply's steps used at its end (the engine's tuner). */
  threads?: number;
}

export interface ChatDeps {
  conversations?: ConversationsStore;
  notify?: ToastStore;
  scheduler?: Scheduler;
  /** How a message is sent (default SendMessage; the document view asks with AskDocument). */
  sendMessage?: (conversationId: number, text: string) => Promise<SendResult>;
}

/** Messages of the open conversation, sending, and streaming replies. */
export class ChatStore {
  conversationId = $state(0);
  /** The chat New chat opened last (reused while it stays empty). */
  newChatId = $state(0);
  /**
   * The chat New chat has just opened, until another conversation is
   * opened: text typed while it was being made goes with it (Composer's
   * carryTo). 0 otherwise, so coming back to it later carries nothing.
   */
  carryTo = $state(0);
  private newChatTitle = '';
  messages = $state<Message[]>([]);
  loading = $state(false);
  sending = $state(false);
  /** Conversations with a reply being generated. */
  busy = $state<number[]>([]);
  stats = $state<ReplyStats | null>(null);
  /** Threads the last finished reply used, in any conversation (0: none yet): the settings show it. */
  lastThreads = $state(0);
  /** The versions of each message shown (its id and its siblings' ids, oldest first), by message id. */
  versions = $state<Record<number, number[]>>({});
  /** The message a search hit asked to show; MessageList scrolls to it once. */
  focusId = $state(0);

  private streams = new Map<string, ReplyStream>();
  /** The final state of replies whose stream ended, by message id, so that a
   * conversation read while the reply was still running (the read and the
   * stream's end cross) does not bring back its unfinished state. */
  private ended = new Map<number, Message>();
  private stopAsked = false;
  private batcher: FrameBatcher;
  private openSeq = 0;
  private conversations: ConversationsStore;
  private notify: ToastStore;
  private sendMessage: (conversationId: number, text: string) => Promise<SendResult>;

  constructor(deps: ChatDeps = {}) {
    this.conversations = deps.conversations ?? defaultConversations;
    this.notify = deps.notify ?? toasts;
    this.sendMessage = deps.sendMessage ?? api.sendMessage;
    this.batcher = createFrameBatcher(() => this.flush(), deps.scheduler ?? nextFrame);
  }

  /** True while the open conversation is sending or generating (Send becomes Stop). */
  get generating(): boolean {
    return this.sending || (this.conversationId !== 0 && this.busy.includes(this.conversationId));
  }

  async open(id: number): Promise<void> {
    this.carryTo = 0;
    this.conversations.select(id);
    if (id === this.conversationId && (this.loading || this.messages.length > 0)) return;
    const seq = ++this.openSeq;
    this.conversationId = id;
    this.messages = [];
    this.versions = {};
    this.stats = null;
    this.loading = true;
    try {
      const d = await api.getConversation(id);
      if (seq !== this.openSeq) return;
      this.apply(d);
      this.stats = statsFromMessages(this.messages);
      if (this.messages.some((m) => m.status === 'streaming') && !this.streamOf(id)) void this.follow(id, seq);
    } catch (e) {
      if (seq === this.openSeq) this.notify.error(e, "Couldn't open the conversation");
    } finally {
      if (seq === this.openSeq) this.loading = false;
    }
  }

  /** Show an empty chat. Reuses the open conversation when it has no messages yet. */
  async newChat(): Promise<void> {
    if (this.conversationId !== 0 && this.messages.length === 0 && !this.loading && !this.sending) return;
    const seq = this.openSeq;
    // The last new chat, left empty for another conversation: go back to it
    // (its unsent draft with it) rather than add a second empty one to the list.
    const empty = await this.emptyNewChat();
    if (seq !== this.openSeq) return;
    if (empty) {
      this.openSeq++;
      this.carryTo = 0;
      this.conversations.select(empty.conversation.id);
      this.conversationId = empty.conversation.id;
      this.apply(empty);
      this.stats = null;
      this.loading = false;
      return;
    }
    const c = await this.conversations.create();
    // A message sent (or a conversation opened) meanwhile wins over the empty chat.
    if (!c || seq !== this.openSeq) return;
    this.openSeq++;
    this.newChatId = c.id;
    this.carryTo = c.id;
    this.newChatTitle = c.title;
    this.conversationId = c.id;
    this.messages = [];
    this.versions = {};
    this.stats = null;
    this.loading = false;
  }

  /** The conversation New chat made last, when it is still as it was made: empty, untouched. */
  private async emptyNewChat(): Promise<ConversationDetail | null> {
    const c = this.conversations.list.find((x) => x.id === this.newChatId);
    if (!c || c.pinned || c.document_id !== null || c.title !== this.newChatTitle) return null;
    try {
      const d = await api.getConversation(c.id);
      return (d.messages ?? []).length === 0 ? d : null;
    } catch {
      return null; // deleted meanwhile (another window, the CLI): make a new one
    }
  }

  /** Close the open conversation (nothing selected; the next send creates one). */
  clear(): void {
    this.openSeq++;
    this.carryTo = 0;
    this.conversationId = 0;
    this.messages = [];
    this.versions = {};
    this.stats = null;
    this.loading = false;
    this.conversations.select(null);
  }

  async deleteConversation(id: number): Promise<boolean> {
    const ok = await this.conversations.remove(id);
    if (!ok) return false;
    for (const s of [...this.streams.values()]) if (s.conversationId === id) this.finish(s);
    if (this.conversationId === id) this.clear();
    return true;
  }

  /** Send a user message. Resolves false if nothing was sent (the caller keeps the draft). */
  async send(text: string): Promise<boolean> {
    const body = text.trim();
    if (!body || this.generating) return false;
    const convId = this.conversationId;
    this.sending = true;
    this.stopAsked = false;
    try {
      const r = await this.sendMessage(convId, body);
      // Subscribe first, in the same task as the reply, so no event is missed.
      this.attach(r);
      this.stopIfAsked(r);
      if (this.conversationId === convId) {
        this.openSeq++;
        this.conversationId = r.conversation.id;
        this.loading = false;
        this.upsertMessage(r.user_message);
        this.upsertMessage(r.assistant_message);
        this.stats = { tps: 0, completion_tokens: 0, context_used: 0, context_size: 0, dropped: 0, shifted: 0 };
        this.conversations.select(r.conversation.id);
      }
      this.conversations.upsert(r.conversation);
      return true;
    } catch (e) {
      this.notify.error(e, "Couldn't send the message");
      return false;
    } finally {
      this.sending = false;
    }
  }

  /** Versions of a message: its id and its siblings' (at least itself). */
  versionsOf(id: number): number[] {
    return this.versions[id] ?? [id];
  }

  /** A new version of a reply (or a reply to a question without one). */
  regenerate(messageId: number): Promise<boolean> {
    return this.branch(() => api.regenerateMessage(messageId), "Couldn't write the reply again");
  }

  /** A new version of a question, with its reply. Resolves false when nothing was sent. */
  edit(messageId: number, text: string): Promise<boolean> {
    if (!text.trim()) return Promise.resolve(false);
    return this.branch(() => api.editMessage(messageId, text.trim()), "Couldn't send the edited message");
  }

  /** Write more of a reply that stopped at its token limit. */
  continueReply(messageId: number): Promise<boolean> {
    return this.branch(() => api.continueMessage(messageId), "Couldn't continue the reply");
  }

  /** Show another version of a message (and the branch below it). */
  async switchVersion(messageId: number): Promise<void> {
    if (this.generating) return;
    const seq = this.openSeq;
    try {
      const d = await api.switchVersion(messageId);
      if (seq === this.openSeq) this.apply(d);
    } catch (e) {
      this.notify.error(e, "Couldn't show that version");
    }
  }

  /** Delete a message and the messages below it. */
  async deleteMessage(messageId: number): Promise<boolean> {
    const seq = this.openSeq;
    try {
      const d = await api.deleteMessage(messageId);
      if (seq === this.openSeq) this.apply(d);
      return true;
    } catch (e) {
      this.notify.error(e, "Couldn't delete the message");
      return false;
    }
  }

  /** Open a conversation on the branch of a message and scroll to it (a search hit). */
  async reveal(conversationId: number, messageId: number): Promise<void> {
    try {
      const d = await api.switchVersion(messageId);
      this.openSeq++;
      this.conversationId = conversationId;
      this.conversations.select(conversationId);
      this.loading = false;
      this.apply(d);
      this.focusId = messageId;
    } catch (e) {
      this.notify.error(e, "Couldn't open that message");
    }
  }

  /** Run a tree operation that starts a reply, then show the branch it is on. */
  private async branch(start: () => Promise<SendResult>, failure: string): Promise<boolean> {
    if (this.generating || !this.conversationId) return false;
    const convId = this.conversationId;
    this.sending = true;
    this.stopAsked = false;
    try {
      const r = await start();
      this.attach(r);
      this.stopIfAsked(r);
      this.conversations.upsert(r.conversation);
      if (this.conversationId === convId) {
        const seq = ++this.openSeq;
        const d = await api.getConversation(convId);
        if (seq === this.openSeq) this.apply(d);
      }
      return true;
    } catch (e) {
      this.notify.error(e, failure);
      return false;
    } finally {
      this.sending = false;
    }
  }

  /** Show a conversation's branch and versions, with what running streams have written. */
  private apply(d: ConversationDetail): void {
    this.messages = d.messages ?? [];
    const v: Record<number, number[]> = {};
    (d.versions ?? []).forEach((ids, i) => {
      const m = this.messages[i];
      if (m && ids?.length) v[m.id] = ids;
    });
    this.versions = v;
    this.reapplyStreams();
  }

  async stop(): Promise<void> {
    // Stop pressed before the reply has started: it stops as soon as it does.
    if (this.sending) {
      this.stopAsked = true;
      return;
    }
    const id = this.conversationId;
    if (!id || !this.busy.includes(id)) return;
    try {
      await api.stopGeneration(id);
    } catch (e) {
      this.notify.error(e, "Couldn't stop the reply");
    }
  }

  private stopIfAsked(r: SendResult): void {
    if (!this.stopAsked) return;
    this.stopAsked = false;
    api.stopGeneration(r.conversation.id).catch((e) => this.notify.error(e, "Couldn't stop the reply"));
  }

  /** Unsubscribe from every stream (app teardown). */
  dispose(): void {
    for (const s of [...this.streams.values()]) this.finish(s);
  }

  private attach(r: SendResult): void {
    this.track(
      new ReplyStream({
        stream: r.stream,
        conversationId: r.conversation.id,
        messageId: r.assistant_message.id,
        text: r.assistant_message.content ?? '',
        synced: true,
      }),
    );
  }

  private track(s: ReplyStream): void {
    this.ended.delete(s.messageId); // a continued reply runs again
    this.streams.set(s.stream, s);
    if (!this.busy.includes(s.conversationId)) this.busy = [...this.busy, s.conversationId];
    s.off = subscribeStream(s.stream, {
      onToken: (ev) => this.onToken(s, ev),
      onDone: (ev) => this.onDone(s, ev),
      onError: (ev) => this.onError(s, ev),
    });
  }

  private streamOf(conversationId: number): ReplyStream | undefined {
    return [...this.streams.values()].find((s) => s.conversationId === conversationId);
  }

  /** A conversation opened mid-reply (another view, a reloaded window): join its stream. */
  private async follow(conversationId: number, openSeq: number): Promise<void> {
    const a = await api.activeReply(conversationId).catch(() => null);
    if (openSeq !== this.openSeq) return;
    if (!a?.stream) {
      // Nothing is running: the reply ended meanwhile (or was cut off). Reload once.
      const d = await api.getConversation(conversationId).catch(() => null);
      if (!d || openSeq !== this.openSeq) return;
      this.messages = (d.messages ?? []).map((m) => (m.status === 'streaming' ? { ...m, status: 'stopped' } : m));
      return;
    }
    if (this.streams.has(a.stream)) return;
    const s = new ReplyStream({ stream: a.stream, conversationId, messageId: a.message_id, synced: false });
    this.track(s);
    await this.resync(s);
  }

  /** Catch up with ActiveReply after joining late or missing events. */
  private async resync(s: ReplyStream): Promise<void> {
    const a = await api.activeReply(s.conversationId).catch(() => null);
    if (!this.streams.has(s.stream)) return;
    s.rebase(a);
    this.batcher.schedule();
  }

  private onToken(s: ReplyStream, ev: TokenEvent): void {
    const r = s.push(ev);
    if (r === 'gap') void this.resync(s);
    else if (r === 'ok') this.batcher.schedule();
  }

  private onDone(s: ReplyStream, ev: DoneEvent): void {
    this.batcher.flushNow();
    this.finish(s);
    if (ev.message?.id) this.replaceMessage(ev.message);
    else this.patchMessage(s.messageId, { status: 'complete' });
    this.remember(s.messageId);
    if (ev.result?.threads) this.lastThreads = ev.result.threads;
    if (s.conversationId === this.conversationId && ev.result) {
      this.stats = {
        tps: ev.result.tokens_per_second,
        completion_tokens: ev.result.completion_tokens,
        context_used: ev.result.context_used,
        context_size: ev.result.context_size,
        dropped: ev.result.dropped_messages ?? 0,
        ...(ev.result.cut_tokens ? { cut: ev.result.cut_tokens } : {}),
        shifted: ev.result.shifted_tokens ?? 0,
        ...(ev.result.template_note ? { note: ev.result.template_note } : {}),
        ...(ev.result.threads ? { threads: ev.result.threads } : {}),
      };
    }
  }

  private onError(s: ReplyStream, ev: StreamErrorEvent): void {
    this.batcher.flushNow();
    this.finish(s);
    const reason = ev.error?.message || ev.message?.error || 'Generation failed';
    if (ev.message?.id) this.replaceMessage({ ...ev.message, status: 'failed', error: ev.message.error || reason });
    else this.patchMessage(s.messageId, { status: 'failed', error: reason });
    this.remember(s.messageId);
  }

  /** Keep a reply's final state as shown (see ended): the last few suffice. */
  private remember(id: number): void {
    const m = this.messages.find((x) => x.id === id);
    if (!m) return;
    this.ended.delete(id);
    this.ended.set(id, { ...m });
    if (this.ended.size > 32) this.ended.delete(this.ended.keys().next().value as number);
  }

  /** Apply buffered token text: runs at most once per animation frame. */
  private flush(): void {
    for (const s of this.streams.values()) {
      const thinking = s.takeThinking();
      if (thinking !== null) this.patchMessage(s.messageId, { thinking });
      const text = s.take();
      if (text === null) continue;
      this.patchMessage(s.messageId, { content: text });
      if (s.conversationId === this.conversationId) {
        this.stats = {
          tps: s.tps,
          completion_tokens: s.tokens,
          context_used: this.stats?.context_used ?? 0,
          context_size: this.stats?.context_size ?? 0,
          dropped: this.stats?.dropped ?? 0,
          shifted: this.stats?.shifted ?? 0,
        };
      }
    }
  }

  private finish(s: ReplyStream): void {
    s.off();
    this.streams.delete(s.stream);
    const still = [...this.streams.values()].some((x) => x.conversationId === s.conversationId);
    if (!still) this.busy = this.busy.filter((id) => id !== s.conversationId);
  }

  /** After (re)loading a conversation, show what its running stream has produced so far, and
   * the final state of a reply whose stream ended while the conversation was being read. */
  private reapplyStreams(): void {
    this.batcher.flushNow();
    const running = new Set([...this.streams.values()].map((s) => s.messageId));
    this.messages.forEach((m, i) => {
      const end = this.ended.get(m.id);
      if (m.status === 'streaming' && !running.has(m.id) && end) this.messages[i] = end;
    });
    for (const s of this.streams.values()) {
      if (s.conversationId !== this.conversationId) continue;
      const m = this.messages.find((x) => x.id === s.messageId);
      if (m && m.status === 'streaming' && s.text.length >= m.content.length) m.content = s.text;
      if (m && m.status === 'streaming' && s.thinking.length >= (m.thinking ?? '').length) m.thinking = s.thinking;
    }
  }

  private upsertMessage(m: Message): void {
    const i = this.messages.findIndex((x) => x.id === m.id);
    if (i >= 0) this.messages[i] = m;
    else this.messages.push(m);
  }

  private replaceMessage(m: Message): void {
    const i = this.messages.findIndex((x) => x.id === m.id);
    if (i >= 0) this.messages[i] = m;
  }

  private patchMessage(id: number, patch: Partial<Message>): void {
    const m = this.messages.find((x) => x.id === id);
    if (m) Object.assign(m, patch);
  }
}

function statsFromMessages(ms: Message[]): ReplyStats | null {
  const replies = ms.filter((m) => m.role === 'assistant');
  const last = replies[replies.length - 1];
  if (!last) return null;
  // Speed of the last reply that has one (a failed or stopped reply may not).
  const timed = [...replies].reverse().find((m) => m.tokens_per_second > 0);
  return {
    tps: timed?.tokens_per_second ?? 0,
    completion_tokens: last.completion_tokens,
    context_used: (last.prompt_tokens || 0) + (last.completion_tokens || 0),
    context_size: 0,
    dropped: 0,
    shifted: 0,
  };
}

export const chat = new ChatStore();

/** What deleting message id from the branch shown removes, said before it goes. */
export function deletePrompt(messages: Message[], id: number): { title: string; message: string } {
  const i = messages.findIndex((m) => m.id === id);
  const what = messages[i]?.role === 'user' ? 'message' : 'reply';
  const below = i < 0 ? 0 : messages.length - i - 1;
  const also = below === 0 ? '' : below === 1 ? ' and the message below it' : ` and the ${below} messages below it`;
  return { title: `Delete this ${what}?`, message: `This ${what}${also} will be deleted. This cannot be undone.` };
}
