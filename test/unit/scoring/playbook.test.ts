import { describe, expect, it } from 'vitest';
import { type ActionContext, compilePlaybook } from '../../../src/core/actions/evaluate.ts';
import { type PlaybookInput, parsePlaybook } from '../../../src/core/actions/playbook.ts';
import { isAppError } from '../../../src/core/errors.ts';
import { loadPlaybook } from '../../../src/scoring/config.ts';
import { aDeal, addDays, day } from './builders.ts';

const asOf = day('2024-06-01');
const shipped = compilePlaybook(loadPlaybook(), 3);
const ctx = (o: Partial<ActionContext> = {}): ActionContext => ({
  deal: aDeal(),
  asOf,
  score: 40,
  category: 'Medium',
  winProbability: 0.6,
  drivers: [],
  ...o,
});
const ids = (c: ActionContext) => shipped(c).map((a) => a.action);

describe('playbook', () => {
  it('asks for an executive sponsor call within 24 h on a Critical deal, first', () => {
    const a = shipped(ctx({ score: 88, category: 'Critical', winProbability: 0.12 }));
    expect(a[0]).toMatchObject({ action: 'executive_sponsor_call', priority: 'immediate' });
    expect(a[0]!.rationale).toContain('Risk 88/100 (Critical), 12% to win.');
  });

  it('re-engages the decision maker when stale activity drives the risk, quoting the driver', () => {
    const drivers = [
      {
        feature: 'days_since_activity',
        direction: 'raises_risk' as const,
        sentence: 'No activity for 38 days; deals like this win 12% vs 23% overall',
      },
    ];
    const a = shipped(ctx({ score: 60, category: 'High', drivers }));
    const re = a.find((x) => x.action === 'reengage_decision_maker')!;
    expect(re.priority).toBe('this_week');
    expect(re.rationale).toBe('No activity for 38 days; deals like this win 12% vs 23% overall');
    // The same driver lowering risk triggers nothing.
    expect(ids(ctx({ drivers: [{ ...drivers[0]!, direction: 'lowers_risk' }] }))).not.toContain('reengage_decision_maker');
  });

  it('re-qualifies timing once the close date was pushed twice, not once', () => {
    expect(ids(ctx({ deal: aDeal({ closeDatePushes: 2 }) }))).toContain('requalify_timing');
    expect(ids(ctx({ deal: aDeal({ closeDatePushes: 1 }) }))).not.toContain('requalify_timing');
  });

  it('proposes a joint call with the partner manager on a risky partner-sourced deal', () => {
    expect(ids(ctx({ category: 'High', score: 60, deal: aDeal({ leadSource: 'partner' }) }))).toContain('partner_joint_call');
    expect(ids(ctx({ category: 'Low', score: 10, deal: aDeal({ leadSource: 'Partner' }) }))).not.toContain('partner_joint_call');
  });

  it('orders actions immediate → this week → ongoing and caps them', () => {
    const deal = aDeal({ closeDatePushes: 3, expectedCloseDate: addDays(asOf, -5), contactsCount: 1, leadSource: 'Partner' });
    const a = shipped(ctx({ deal, category: 'Critical', score: 90 }));
    expect(a).toHaveLength(3);
    const rank = { immediate: 0, this_week: 1, ongoing: 2 };
    expect(a.map((x) => rank[x.priority])).toEqual([...a.map((x) => rank[x.priority])].sort());
    expect(a.slice(0, 2).map((x) => x.action)).toEqual(['executive_sponsor_call', 'reset_close_date']);
  });

  it("follows a tenant's own playbook instead of the shipped one", () => {
    const own = compilePlaybook(
      parsePlaybook({
        version: 1,
        rules: [
          {
            id: 'big',
            action: 'call_cfo',
            title: 'Call the CFO',
            priority: 'immediate',
            rationale: '{dealName} is big',
            when: { deal: { amount: { gte: 50_000 } } },
          },
        ],
      }),
    );
    expect(own(ctx({ deal: aDeal({ name: 'Acme', amount: 60_000 }) }))).toMatchObject([{ action: 'call_cfo', rationale: 'Acme is big' }]);
    expect(own(ctx({ deal: aDeal({ amount: 10_000 }) }))).toEqual([]);
  });

  it('rejects an invalid override naming the key path', () => {
    const bad = {
      version: 1,
      rules: [{ id: 'x', action: 'y', title: 'T', priority: 'asap', rationale: 'r', when: { category: ['Critical'] } }],
    } as unknown as PlaybookInput;
    expect(() => parsePlaybook(bad, 'tenant acme settings.playbook')).toThrow(/tenant acme settings\.playbook: rules\.0\.priority/);
    try {
      parsePlaybook({ version: 1, rules: [{ id: 'x', action: 'y', title: 'T', priority: 'ongoing', rationale: 'r', when: {} }] });
    } catch (e) {
      expect(isAppError(e, 'config_invalid')).toBe(true);
      expect((e as Error).message).toMatch(/rules\.0\.when/);
    }
    expect(() =>
      parsePlaybook({
        version: 1,
        rules: [{ id: 'x', action: 'y', title: 'T', priority: 'ongoing', rationale: 'r', when: { deal: { nope: { gte: 1 } } } }],
      }),
    ).toThrow(/rules\.0\.when\.deal/);
  });
});
