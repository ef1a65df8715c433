import { describe, expect, it } from 'vitest';
import { loadSyncConfig } from '../../../src/sync/config.ts';
import { riskFieldsOf, taskRequestsOf, writtenValuesHash } from '../../../src/sync/risk-fields.ts';
import { decideAlert } from '../../../src/sync/steps/alerts.ts';
import { entersAlert } from '../../../src/sync/steps/score.ts';
import { aDeal } from '../../helpers/builders.ts';
import { scoreOf } from '../../integration/sync/helpers/fake-scorer.ts';

const cfg = loadSyncConfig();
const asOf = new Date('2026-11-24T10:00:00Z');

describe('risk fields and tasks from a score', () => {
  const deal = aDeal({ externalId: 'OPP1', owner: { id: '005X', name: 'Ada' }, extras: { risk: 82 } });
  const score = scoreOf(deal, asOf, 'ok', 3);

  it('writes the score, category, drivers and actions one per line, and the model status', () => {
    expect(riskFieldsOf(score)).toEqual({
      score: 82,
      category: 'Critical',
      winProbability: 0.18,
      drivers: 'Risk input is 82',
      action:
        'Now: Executive sponsor call. Critical deals need a sponsor.\nThis week: Agree dated milestones. Dates keep it moving.\nOngoing: Keep in touch. Stay close.',
      scoredAt: asOf,
      modelStatus: 'ok',
    });
    expect(riskFieldsOf({ ...score, modelStatus: 'untested' }).modelStatus).toBe('experimental');
  });

  it('changes the written-values hash only when a written value changes', () => {
    const f = riskFieldsOf(score);
    expect(writtenValuesHash({ ...f, scoredAt: new Date('2027-01-01'), winProbability: 0.181 })).toBe(writtenValuesHash(f));
    for (const change of [
      { score: 83 },
      { category: 'High' as const },
      { drivers: 'x' },
      { action: 'y' },
      { modelStatus: 'no_signal' as const },
    ]) {
      expect(writtenValuesHash({ ...f, ...change })).not.toBe(writtenValuesHash(f));
    }
  });

  it('turns immediate and this-week actions of High and Critical deals into keyed tasks for the owner', () => {
    expect(taskRequestsOf(score, deal, cfg.writeBack.tasks)).toEqual([
      {
        key: 'OPP1:exec-call',
        dealExternalId: 'OPP1',
        ownerId: '005X',
        subject: 'Executive sponsor call',
        description: 'Critical deals need a sponsor.',
        priority: 'high',
        dueDate: new Date('2026-11-25T10:00:00Z'),
      },
      {
        key: 'OPP1:milestones',
        dealExternalId: 'OPP1',
        ownerId: '005X',
        subject: 'Agree dated milestones',
        description: 'Dates keep it moving.',
        priority: 'normal',
        dueDate: new Date('2026-12-01T10:00:00Z'),
      },
    ]);
  });

  it('creates no task for Medium deals, nor while the model has no signal unless configured', () => {
    expect(taskRequestsOf({ ...score, category: 'Medium' }, deal, cfg.writeBack.tasks)).toEqual([]);
    expect(taskRequestsOf({ ...score, modelStatus: 'no_signal' }, deal, cfg.writeBack.tasks)).toEqual([]);
    expect(
      taskRequestsOf({ ...score, modelStatus: 'no_signal' }, deal, { ...cfg.writeBack.tasks, withholdOnNoSignal: false }),
    ).toHaveLength(2);
  });
});

describe('alert decisions', () => {
  it('flags a deal that crosses the threshold, not one that was already above it', () => {
    const prior = (score: number) => ({ category: 'x', score, lastAlertAt: null });
    expect(entersAlert(prior(60), 80, cfg.alerts, true)).toBe(true);
    expect(entersAlert(prior(78), 80, cfg.alerts, true)).toBe(false);
    expect(entersAlert(prior(60), 70, cfg.alerts, true)).toBe(false);
    expect(entersAlert(null, 80, cfg.alerts, false)).toBe(false);
    expect(entersAlert(null, 80, cfg.alerts, true)).toBe(true);
    expect(entersAlert(prior(60), 80, { ...cfg.alerts, enabled: false }, true)).toBe(false);
  });

  const row = (o: Partial<Parameters<typeof decideAlert>[0]> = {}) => ({
    source: 'salesforce',
    externalId: 'OPP1',
    score: 85,
    category: 'Critical',
    modelStatus: 'ok',
    risk: {
      fields: {
        score: 85,
        category: 'Critical' as const,
        winProbability: 0.15,
        drivers: 'd1',
        action: 'Now: Call',
        scoredAt: asOf,
        modelStatus: 'ok' as const,
      },
      tasks: [],
      summary: { name: 'Acme', ownerId: 'u1', ownerName: 'Ada', amount: 5, firstAction: 'Call', drivers: ['d1'] },
    },
    valuesHash: 'h',
    lastAlertAt: null,
    alertDueAt: asOf,
    ...o,
  });
  const opts = { source: 'salesforce', tasksOn: true, recordUrl: 'https://x/OPP1' };
  const withSlack = { ...cfg, alerts: { ...cfg.alerts, slackWebhookUrl: 'https://hooks.slack.com/services/T/B/X' } };

  it('raises a CRM task and a Slack message', () => {
    const d = decideAlert(row(), withSlack, asOf, opts);
    expect(d.raise!.task!.key).toBe('salesforce:OPP1:critical-alert:2026-11-24');
    expect(d.raise!.deliveries).toEqual([
      expect.objectContaining({
        channel: 'slack',
        notBefore: asOf,
        payload: expect.objectContaining({ name: 'Acme', url: 'https://x/OPP1' }),
      }),
    ]);
  });
  it('suppresses within 24 h of the last alert, after the deal fell back, and under no_signal', () => {
    expect(decideAlert(row({ lastAlertAt: new Date(asOf.getTime() - 23 * 3_600_000) }), withSlack, asOf, opts).raise).toBeNull();
    expect(decideAlert(row({ lastAlertAt: new Date(asOf.getTime() - 25 * 3_600_000) }), withSlack, asOf, opts).raise).not.toBeNull();
    expect(decideAlert(row({ score: 70 }), withSlack, asOf, opts).raise).toBeNull();
    expect(decideAlert(row({ modelStatus: 'no_signal' }), withSlack, asOf, opts).raise).toBeNull();
  });
  it('sends only on the channels configured', () => {
    expect(decideAlert(row(), cfg, asOf, opts).raise!.deliveries).toEqual([]);
    expect(decideAlert(row(), { ...withSlack, alerts: { ...withSlack.alerts, channels: ['slack'] } }, asOf, opts).raise!.task).toBeNull();
  });
});
