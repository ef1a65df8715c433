/** How far to move the sandbox clock: milliseconds, or a duration in larger units. */
export type Advance = number | { ms?: number; seconds?: number; minutes?: number; hours?: number; days?: number };

export function advanceMs(by: Advance): number {
  if (typeof by === 'number') return by;
  return (by.ms ?? 0) + ((by.seconds ?? 0) + ((by.minutes ?? 0) + ((by.hours ?? 0) + (by.days ?? 0) * 24) * 60) * 60) * 1000;
}

/**
 * The sandbox's own time. It stands still unless advanced (tests, the demo's "advance" button),
 * or, with `pace` > 0, runs at `pace` sandbox milliseconds per real millisecond (1 = real time,
 * 3600 = an hour per second). Everything the CRMs show is the deals' plan as of `now()`.
 */
export class SandboxClock {
  private base: number;
  private wallBase: number;
  private pace: number;
  private advanced = 0;

  constructor(
    start: number,
    pace = 0,
    private readonly wall: () => number = Date.now,
  ) {
    this.base = start;
    this.pace = pace;
    this.wallBase = wall();
  }

  now(): number {
    return this.pace > 0 ? this.base + (this.wall() - this.wallBase) * this.pace : this.base;
  }

  /** Moves time forward (never back); returns the new now. */
  advance(by: Advance): number {
    const ms = advanceMs(by);
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`the sandbox clock only moves forward (got ${ms} ms)`);
    this.rebase();
    this.base += ms;
    this.advanced += ms;
    return this.now();
  }

  /** Total time added by advance() since start (tokens can age with it, see tokenClock). */
  get advancedMs(): number {
    return this.advanced;
  }

  setPace(pace: number): void {
    this.rebase();
    this.pace = Math.max(0, pace);
  }

  get currentPace(): number {
    return this.pace;
  }

  private rebase(): void {
    this.base = this.now();
    this.wallBase = this.wall();
  }
}
