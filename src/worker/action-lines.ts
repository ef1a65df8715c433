import type { DigestActions } from '../sync/digest-actions.ts';

const share = (x: number, of: number): string => (of > 0 ? ` (${Math.round((x / of) * 100)}%)` : '');

/** The managers' lines on follow-through: the team's, then each rep's (tasks done in time, median days, still open). */
export function actionLines(a: DigestActions): string[] {
  return [
    `Playbook tasks of the last ${a.sinceDays} days: ${a.doneWithin} of ${a.eligible} done within ${a.actWithinDays} days${share(a.doneWithin, a.eligible)}.`,
    ...a.reps.map(
      (r) =>
        `  ${r.ownerName ?? r.ownerId ?? 'No owner'}: ${r.doneWithin} of ${r.eligible} done in time${share(r.doneWithin, r.eligible)}` +
        `${r.medianDays === null ? '' : `, median ${r.medianDays.toFixed(1)} days to done`}; ${r.open} still open.`,
    ),
  ];
}
