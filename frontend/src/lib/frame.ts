// Per-animation-frame batching: many calls to schedule() within one frame run
// the flush function once. WebKitGTK repaints slowly, so streamed tokens are
// applied to the DOM at most once per frame.

export type Scheduler = (cb: () => void) => void;

export const nextFrame: Scheduler = (cb) => {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => cb());
  else setTimeout(cb, 16);
};

export interface FrameBatcher {
  schedule(): void;
  /** Run the pending flush now (e.g. before applying a final message). */
  flushNow(): void;
}

export function createFrameBatcher(flush: () => void, scheduler: Scheduler = nextFrame): FrameBatcher {
  let pending = false;
  const run = () => {
    if (!pending) return;
    pending = false;
    flush();
  };
  return {
    schedule() {
      if (pending) return;
      pending = true;
      scheduler(run);
    },
    flushNow() {
      if (pending) run();
    },
  };
}
