// Time for the features that wait: message TTL, queue expiry, delayed messages, consumer timeouts.
// Everything that needs "now" or a timer asks the broker's Clock, so tests can run a ManualClock and
// move time forward instead of sleeping. The system clock is the default.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** ms since the epoch (wall clock: TTLs and delays survive restarts as absolute times) */
  now(): number;
  /** runs fn once, ms from now (0 or less: on the next turn) */
  setTimer(ms: number, fn: () => void): TimerHandle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/**
 * A clock that only moves when told (tests). Timers due at or before the new time run in due order
 * during advance(); a timer set while advancing, already due, runs in the same advance().
 */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = Date.now()) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return { cancel: () => this.timers.delete(id) };
  }

  /** Moves time forward by ms, running the timers that fall due, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: number | undefined;
      let at = Number.POSITIVE_INFINITY;
      for (const [id, tm] of this.timers) {
        if (tm.at <= end && (tm.at < at || (tm.at === at && next !== undefined && id < next))) {
          at = tm.at;
          next = id;
        }
      }
      if (next === undefined) break;
      const tm = this.timers.get(next) as { at: number; fn: () => void };
      this.timers.delete(next);
      this.t = Math.max(this.t, tm.at);
      tm.fn();
    }
    this.t = end;
  }

  /** How many timers are pending (tests). */
  get pending(): number {
    return this.timers.size;
  }
}
