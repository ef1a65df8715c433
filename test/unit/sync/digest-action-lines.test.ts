import { describe, expect, it } from 'vitest';
import type { Digest } from '../../../src/sync/digest.ts';
import type { DigestActions } from '../../../src/sync/digest-actions.ts';
import { actionLines } from '../../../src/worker/action-lines.ts';
import { renderDigestEmail, renderDigestSlack } from '../../../src/worker/messages.ts';

const actions: DigestActions = {
  sinceDays: 30,
  actWithinDays: 7,
  eligible: 20,
  doneWithin: 13,
  reps: [
    { ownerId: 'u1', ownerName: 'Ann', eligible: 12, doneWithin: 10, completed: 11, medianDays: 2.25, open: 1 },
    { ownerId: 'u2', ownerName: null, eligible: 8, doneWithin: 3, completed: 3, medianDays: null, open: 5 },
  ],
};

describe("the managers' digest: follow-through on the playbook's tasks", () => {
  it("gives the team's share of tasks done in time, then each rep's, with the median days and what is still open", () => {
    expect(actionLines(actions)).toEqual([
      'Playbook tasks of the last 30 days: 13 of 20 done within 7 days (65%).',
      '  Ann: 10 of 12 done in time (83%), median 2.3 days to done; 1 still open.',
      '  u2: 3 of 8 done in time (38%); 5 still open.',
    ]);
  });

  it('is in the Slack and email summaries for managers, never in an owner’s own digest', () => {
    const digest: Digest = { tenantId: 't', generatedAt: '', ownerId: null, minScore: 51, currency: 'USD', deals: [], actions };
    expect(JSON.stringify(renderDigestSlack(digest, { kind: 'admin', name: 'Acme' }))).toContain('13 of 20 done within 7 days');
    const mail = renderDigestEmail(digest, { kind: 'admin', name: 'Acme' });
    expect(mail.text).toContain('  Ann: 10 of 12 done in time (83%)');
    expect(mail.html).toContain('Ann: 10 of 12 done in time (83%)');
    expect(JSON.stringify(renderDigestSlack(digest, { kind: 'owner', name: 'Ann' }))).not.toContain('done in time');
    expect(renderDigestEmail(digest, { kind: 'owner', name: 'Ann' }).text).not.toContain('done in time');
  });
});
