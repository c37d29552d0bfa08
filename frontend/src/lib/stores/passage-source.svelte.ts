import { api, toApiError } from '../api';
import type { PassageSource } from '../types';

/**
 * What the passage panel shows around the passage it opened: a PDF's page
 * (its stored file) with the passage's part on each page, or the extracted
 * text around the passage. One passage at a time; a late answer for a
 * passage no longer shown is dropped.
 */
export class PassageSourceStore {
  source = $state<PassageSource | null>(null);
  loading = $state(false);
  error = $state('');

  private key = '';
  private seq = 0;

  /** Load the source of chunks first..last of a document; asking again for the same passage does nothing. */
  async load(documentId: number, first: number, last: number): Promise<void> {
    const key = `${documentId}:${first}:${last}`;
    if (key === this.key) return;
    this.key = key;
    const seq = ++this.seq;
    this.source = null;
    this.loading = true;
    this.error = '';
    try {
      const s = await api.getPassageSource(documentId, first, last);
      if (seq === this.seq) this.source = s;
    } catch (e) {
      if (seq === this.seq) this.error = toApiError(e).message;
    } finally {
      if (seq === this.seq) this.loading = false;
    }
  }

  /** Forget the passage (the panel closed). */
  clear(): void {
    this.seq++;
    this.key = '';
    this.source = null;
    this.loading = false;
    this.error = '';
  }
}

export const passageSource = new PassageSourceStore();
