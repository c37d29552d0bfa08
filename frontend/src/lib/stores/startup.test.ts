import { describe, expect, it, vi } from 'vitest';
import { StartupStore } from './startup.svelte';
import { installFakeWails } from '../../test/fakes';

const damaged = {
  state: 'damaged',
  message: 'Chapel’s database /d/chapel.db is damaged',
  database: '/d/chapel.db',
  log_file: '/d/logs/chapel.log',
};

describe('startup store', () => {
  it('reports a damaged database, recovers it and reloads into the app', async () => {
    const w = installFakeWails();
    w.app.StartupState.mockResolvedValue(damaged);
    const report = {
      rows: 1128,
      tables: {},
      unreadable: ['messages'],
      conversations: 300,
      messages: 828,
      documents: 0,
      orphans_dropped: 0,
    };
    w.app.RecoverDatabase.mockResolvedValue({
      copy: '/d/chapel-damaged-20261201-221504.db',
      message: 'Recovered 300 conversations',
      salvage: report,
    });
    const reload = vi.fn();
    const s = new StartupStore(reload);
    expect((await s.load()).state).toBe('damaged');
    expect(s.damaged).toBe(true);
    const p = s.repair('recover');
    expect(s.busy).toBe('recover');
    expect(await s.repair('fresh')).toBe(false); // one repair at a time
    expect(await p).toBe(true);
    expect(w.app.RecoverDatabase).toHaveBeenCalledTimes(1);
    expect(w.app.StartFresh).not.toHaveBeenCalled();
    expect(s.result?.salvage?.messages).toBe(828);
    expect(reload).not.toHaveBeenCalled();
    s.proceed();
    expect(reload).toHaveBeenCalledTimes(1);
  });

  it('a failed repair keeps the screen with the error', async () => {
    const w = installFakeWails();
    w.app.StartupState.mockResolvedValue(damaged);
    w.app.StartFresh.mockRejectedValue({ code: 'unavailable', message: 'could not keep a copy of the damaged database' });
    const s = new StartupStore(vi.fn());
    await s.load();
    expect(await s.repair('fresh')).toBe(false);
    expect(s.error).toBe('could not keep a copy of the damaged database');
    expect(s.result).toBeNull();
    expect(s.busy).toBeNull();
  });

  it('a backend without StartupState, or one that fails, starts the app', async () => {
    const w = installFakeWails();
    delete (w.app as Partial<typeof w.app>).StartupState;
    expect((await new StartupStore().load()).state).toBe('ready');
    const w2 = installFakeWails();
    w2.app.StartupState.mockRejectedValue(new Error('boom'));
    expect((await new StartupStore().load()).state).toBe('ready');
  });
});
