import { DAY, type DealPlan, winInstead } from './generate.ts';
import { mixSeed, unitFrom } from './random.ts';

/**
 * Opt-in (issue 16): which tasks created through the API the sandbox's reps complete, and what
 * completing one does to its deal. Without it every task is completed (after
 * `taskCompletionDays` on average) and changes nothing, as every existing test expects. With it,
 * a test knows the true effect of each action and can check a report finds it.
 */
export interface RepActionOptions {
  /** Share of tasks reps ever complete (default 0.5); each rep's own share is drawn around it. */
  completionShare?: number;
  /** How far one rep's share strays from `completionShare`, either way (default 0.2). */
  repSpread?: number;
  /**
   * Known effects, by the task's subject (a case-insensitive substring: what the rep reads).
   * Completing such a task before its deal closes turns a loss into a win with probability
   * `lossToWin`: the deal's chance of losing is multiplied by 1 − lossToWin. A subject that
   * matches none has no effect.
   */
  effects?: ReadonlyArray<{ subject: string; lossToWin: number }>;
}

const STREAM_DONE = 31;
const STREAM_REP = 37;
const STREAM_EFFECT = 41;

function hashText(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/**
 * Whether and when a rep completes a task, and its effect on the deal. Every draw is a hash of
 * the world's seed and the task's or deal's number, never of the deal's traits: who acts is
 * unrelated to how the deal would have ended, so an effect measured is the effect set here.
 */
export class RepActions {
  private readonly share: number;
  private readonly spread: number;

  constructor(
    private readonly seed: number,
    private readonly opts: RepActionOptions,
  ) {
    this.share = opts.completionShare ?? 0.5;
    this.spread = opts.repSpread ?? 0.2;
  }

  /** This rep's share of tasks completed. */
  repShare(ownerKey: string): number {
    const u = unitFrom(mixSeed(this.seed, STREAM_REP), hashText(ownerKey));
    return Math.min(0.98, Math.max(0.02, this.share + this.spread * (2 * u - 1)));
  }

  /**
   * When the rep completes task number `taskN` created at `createdAt` (null: never): the same
   * timing as without rep actions (exponential, mean `meanDays`), for the tasks this rep does.
   */
  doneAt(taskN: number, createdAt: number, meanDays: number, ownerKey: string): number | null {
    if (unitFrom(mixSeed(this.seed, STREAM_DONE), taskN) >= this.repShare(ownerKey)) return null;
    return createdAt - Math.log(1 - unitFrom(this.seed, taskN)) * meanDays * DAY;
  }

  /** Applies the effect of a task with `subject` done at `doneAt` on its deal; true when the outcome changed. */
  apply(plan: DealPlan, subject: string, doneAt: number | null): boolean {
    if (doneAt === null) return false;
    const s = subject.toLowerCase();
    const k = (this.opts.effects ?? []).findIndex((e) => s.includes(e.subject.toLowerCase()));
    if (k < 0) return false;
    if (unitFrom(mixSeed(this.seed, STREAM_EFFECT, k), plan.n) >= this.opts.effects![k]!.lossToWin) return false;
    return winInstead(plan, doneAt);
  }
}
