import { api, toApiError } from '../api';
import type { RepairResult, StartupState } from '../types';

export type RepairChoice = 'fresh' | 'recover';

/**
 * The window's start when the database is damaged: what happened, the
 * repair under way, its result or its error. After a repair the window
 * reloads into the app (reload is replaceable for tests).
 */
export class StartupStore {
  state = $state<StartupState | null>(null);
  busy = $state<RepairChoice | null>(null);
  result = $state<RepairResult | null>(null);
  error = $state('');

  constructor(private readonly reload: () => void = () => window.location.reload()) {}

  /** Ask Go how the window starts; an unreachable backend counts as ready (the app says so itself). */
  async load(): Promise<StartupState> {
    try {
      this.state = await api.startupState();
    } catch {
      this.state = { state: 'ready', message: '', database: '', log_file: '' };
    }
    return this.state;
  }

  get damaged(): boolean {
    return this.state?.state === 'damaged';
  }

  /** Start fresh or recover; on success show what was done, then go on into the app. */
  async repair(choice: RepairChoice): Promise<boolean> {
    if (this.busy) return false;
    this.busy = choice;
    this.error = '';
    try {
      this.result = choice === 'fresh' ? await api.startFresh() : await api.recoverDatabase();
      return true;
    } catch (e) {
      this.error = toApiError(e).message;
      return false;
    } finally {
      this.busy = null;
    }
  }

  /** Leave the screen for the app. */
  proceed(): void {
    this.reload();
  }
}

export const startup = new StartupStore();
