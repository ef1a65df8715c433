import { describe, expect, it } from 'vitest';
import { deriveHistory } from '../../../connectors/hubspot/history.ts';
import { buildStageMap, fallbackStage, stageStatus } from '../../../connectors/hubspot/pipelines.ts';

const stages = buildStageMap([
  {
    id: 'p1',
    label: 'Enterprise',
    stages: [
      { id: 's3', label: 'Signed', displayOrder: 3, metadata: { isClosed: 'true', probability: '1.0' } },
      { id: 's1', label: 'Discovery', displayOrder: 1, metadata: { isClosed: 'false', probability: '0.2' } },
      { id: 's4', label: 'No decision', displayOrder: 4, metadata: { isClosed: 'true', probability: '0.0' } },
      { id: 's2', label: 'Proposal', displayOrder: 2, metadata: { isClosed: 'false', probability: '0.5' } },
    ],
  },
]);

describe('HubSpot pipeline stages', () => {
  it('orders stages by displayOrder and reads won/lost from isClosed and probability', () => {
    expect([...stages.values()].map((s) => [s.label, s.order, s.status])).toEqual([
      ['Discovery', 0, 'open'],
      ['Proposal', 1, 'open'],
      ['Signed', 2, 'won'],
      ['No decision', 3, 'lost'],
    ]);
    expect(stages.get('s2')!.probability).toBe(0.5);
  });

  it('prefers an explicit isWon flag over the probability', () => {
    expect(stageStatus({ isClosed: 'true', isWon: 'true', probability: '0.0' })).toBe('won');
    expect(stageStatus({ isClosed: 'false', probability: '1.0' })).toBe('open');
  });

  it("falls back to HubSpot's computed closed flags for a stage no pipeline lists", () => {
    expect(fallbackStage('9567448', { hs_is_closed: 'true', hs_is_closed_won: 'true' })).toMatchObject({ status: 'won', label: '9567448' });
    expect(fallbackStage('9567448', { hs_is_closed: 'true', hs_is_closed_won: 'false' })!.status).toBe('lost');
    expect(fallbackStage(null, {})).toBeNull();
  });
});

describe('HubSpot property history', () => {
  it('lists stage entries oldest first and counts only later close dates as pushes', () => {
    const h = deriveHistory(
      {
        // HubSpot returns newest first; epoch-millisecond values appear in history too.
        dealstage: [
          { value: 's2', timestamp: '2026-02-01T00:00:00Z' },
          { value: 's2', timestamp: '2026-01-20T00:00:00Z' },
          { value: 's1', timestamp: '2026-01-01T00:00:00Z' },
        ],
        closedate: [
          { value: '1780185600000', timestamp: '2026-03-01T00:00:00Z' }, // 2026-05-31, pushed
          { value: '2026-03-15T00:00:00Z', timestamp: '2026-02-01T00:00:00Z' }, // pulled in
          { value: '2026-04-30T00:00:00Z', timestamp: '2026-01-01T00:00:00Z' },
        ],
      },
      stages,
    );
    expect(h.stageHistory.map((s) => [s.stage, s.status, s.order])).toEqual([
      ['Discovery', 'open', 0],
      ['Proposal', 'open', 1],
    ]);
    expect(h.stageEnteredAt).toBe('2026-01-20T00:00:00.000Z');
    expect(h.closeDatePushes).toBe(1);
  });
});
