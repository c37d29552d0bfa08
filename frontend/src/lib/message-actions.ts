import type { Message } from './types';

/** The line under a reply that says why it ended early, or ''. */
export function stopNote(m: Pick<Message, 'role' | 'status' | 'stop_reason' | 'completion_tokens'>): string {
  if (m.role !== 'assistant' || m.status === 'streaming') return '';
  switch (m.stop_reason) {
    case 'length':
      return `Stopped at ${m.completion_tokens.toLocaleString('en-US')} tokens`;
    case 'context':
      return 'Stopped — context full';
  }
  return '';
}

/** A reply that can be continued: it ended at its token limit, a full context, or Stop, with text to go on from. */
export function canContinue(m: Pick<Message, 'role' | 'status' | 'stop_reason' | 'content'>): boolean {
  if (m.role !== 'assistant' || m.status === 'streaming' || !m.content.trim()) return false;
  return m.stop_reason === 'length' || m.stop_reason === 'context' || m.status === 'stopped';
}

/** A message long enough to fold (UserBubble): more lines, or more text, than a screen's share. */
export function isLong(text: string): boolean {
  return text.length > 1500 || text.split('\n').length > 14;
}
