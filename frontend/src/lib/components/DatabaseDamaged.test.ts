import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import DatabaseDamaged from './DatabaseDamaged.svelte';
import { startup } from '../stores/startup.svelte';
import { installFakeWails, settle } from '../../test/fakes';

const damaged = {
  state: 'damaged',
  message: "Chapel's database /d/chapel.db is damaged: some of its pages cannot be read.",
  database: '/d/chapel.db',
  log_file: '/d/logs/chapel.log',
};

describe('DatabaseDamaged', () => {
  it('says what happened, recovers on click and shows what was saved', async () => {
    const w = installFakeWails();
    w.app.StartupState.mockResolvedValue(damaged);
    w.app.RecoverDatabase.mockResolvedValue({
      copy: '/d/chapel-damaged-20261201-221504.db',
      message:
        'Recovered 12 conversations and 0 documents (36 rows in all); the damaged database is kept as /d/chapel-damaged-20261201-221504.db.',
      salvage: { rows: 36, tables: {}, unreadable: ['messages'], conversations: 12, messages: 24, documents: 0, orphans_dropped: 0 },
    });
    await startup.load();
    render(DatabaseDamaged);
    expect(screen.getByTestId('damaged-message').textContent).toContain('/d/chapel.db is damaged');
    expect(screen.getByTestId('database-damaged').textContent).toContain('/d/logs/chapel.log');
    await fireEvent.click(screen.getByTestId('repair-recover'));
    await settle();
    const result = screen.getByTestId('repair-result').textContent ?? '';
    expect(result).toContain('Recovered 12 conversations');
    expect(result).toContain('Parts of messages could not be read.');
    expect(w.app.StartFresh).not.toHaveBeenCalled();
    expect(screen.queryByTestId('repair-recover')).toBeNull();
  });

  it('a failed repair shows the error and keeps both choices', async () => {
    const w = installFakeWails();
    w.app.StartupState.mockResolvedValue(damaged);
    w.app.StartFresh.mockRejectedValue({ code: 'unavailable', message: 'could not keep a copy of the damaged database' });
    await startup.load();
    startup.result = null;
    render(DatabaseDamaged);
    await fireEvent.click(screen.getByTestId('repair-fresh'));
    await settle();
    expect(screen.getByTestId('repair-error').textContent).toContain('could not keep a copy');
    expect(screen.getByTestId('repair-recover')).toBeTruthy();
    expect(w.app.StartFresh).toHaveBeenCalledTimes(1);
  });
});
