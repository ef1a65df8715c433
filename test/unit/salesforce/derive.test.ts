import { describe, expect, it } from 'vitest';
import {
  accountSizeBand,
  buildStageMap,
  closeDatePushesOf,
  derive,
  type HistoryRow,
  stageHistoryOf,
} from '../../../connectors/salesforce/derive.ts';

const stages = buildStageMap([
  { ApiName: 'Qualification', MasterLabel: 'Qualification', IsClosed: false, IsWon: false, SortOrder: 2 },
  { ApiName: 'Prospecting', MasterLabel: 'Prospecting', IsClosed: false, IsWon: false, SortOrder: 1 },
  { ApiName: 'Closed Lost', MasterLabel: 'Closed Lost', IsClosed: true, IsWon: false, SortOrder: 9 },
]);
const h = (StageName: string, CloseDate: string, CreatedDate: string): HistoryRow => ({
  OpportunityId: '006A',
  StageName,
  CloseDate,
  CreatedDate,
});

describe('Salesforce derived values', () => {
  it('orders stages by SortOrder and takes open/won/lost from the flags', () => {
    expect(stages.get('Prospecting')).toEqual({ label: 'Prospecting', status: 'open', order: 0 });
    expect(stages.get('Closed Lost')).toMatchObject({ status: 'lost', order: 2 });
  });

  it('collapses repeated rows of one stage into one entry at its first date', () => {
    const rows = [
      h('Prospecting', '2026-05-01', '2026-01-01T00:00:00.000+0000'),
      h('Prospecting', '2026-05-01', '2026-01-05T00:00:00.000+0000'),
      h('Qualification', '2026-05-01', '2026-02-01T00:00:00.000+0000'),
    ];
    expect(stageHistoryOf(rows, null, stages).map((e) => [e.stage, e.enteredAt])).toEqual([
      ['Prospecting', '2026-01-01T00:00:00.000Z'],
      ['Qualification', '2026-02-01T00:00:00.000Z'],
    ]);
  });

  it('counts only close dates that moved later, preferring tracked field history', () => {
    const rows = [h('P', '2026-05-01', 'a'), h('P', '2026-06-01', 'b'), h('P', '2026-05-15', 'c'), h('P', '2026-07-01', 'd')];
    expect(closeDatePushesOf(rows, null)).toBe(2);
    const tracked = [{ OpportunityId: '006A', Field: 'CloseDate', OldValue: '2026-05-01', NewValue: '2026-09-01', CreatedDate: 'x' }];
    expect(closeDatePushesOf(rows, tracked)).toBe(1);
  });

  it('leaves history-based values unknown (null) when the org hid the history', () => {
    const d = derive(
      { StageName: 'Prospecting', IsClosed: false, CloseDate: '2026-06-01' },
      { history: null, fieldHistory: null, openTaskCount: null, contactRoleCount: null },
      stages,
    );
    expect(d).toEqual({
      stageOrder: 0,
      stageHistory: [],
      stageEnteredAt: null,
      closeDatePushes: null,
      closedAt: null,
      openTaskCount: null,
      contactRoleCount: null,
      accountSizeBand: null,
    });
  });

  it('dates a closed deal by the day it entered its closed stage, else by its CloseDate', () => {
    const facts = {
      history: [
        h('Prospecting', '2026-04-01', '2026-01-01T00:00:00.000+0000'),
        h('Closed Lost', '2026-04-01', '2026-03-20T15:00:00.000+0000'),
      ],
      fieldHistory: [],
      openTaskCount: 0,
      contactRoleCount: 1,
    };
    expect(derive({ StageName: 'Closed Lost', IsClosed: true, CloseDate: '2026-04-01' }, facts, stages).closedAt).toBe(
      '2026-03-20T15:00:00.000Z',
    );
    expect(
      derive({ StageName: 'Closed Lost', IsClosed: 'true', CloseDate: '2026-04-01' }, { ...facts, history: [] }, stages).closedAt,
    ).toBe('2026-04-01T00:00:00.000Z');
  });

  it('passes on a CloseDate it cannot read, so the mapping refuses that one deal naming it, instead of the page failing', () => {
    // Found by the fuzz suite: a closed opportunity whose CloseDate read "6-06-15" threw RangeError here and failed the run.
    const facts = { history: [], fieldHistory: [], openTaskCount: 0, contactRoleCount: 0 };
    expect(derive({ StageName: 'Closed Lost', IsClosed: true, CloseDate: '6-06-15' }, facts, stages).closedAt).toBe('6-06-15');
    expect(derive({ StageName: 'Closed Lost', IsClosed: true, CloseDate: 'not a date' }, facts, stages).closedAt).toBe('not a date');
    expect(derive({ StageName: 'Prospecting', IsClosed: false, CloseDate: 'not a date' }, facts, stages).closedAt).toBeNull();
  });

  it("takes the current stage's status from IsClosed/IsWon when the org hides OpportunityStage", () => {
    const facts = {
      history: [
        h('Prospecting', '2026-04-01', '2026-01-01T00:00:00.000+0000'),
        h('Closed Lost', '2026-04-01', '2026-03-20T15:00:00.000+0000'),
      ],
      fieldHistory: [],
      openTaskCount: 0,
      contactRoleCount: 1,
    };
    const d = derive({ StageName: 'Closed Lost', IsClosed: true, IsWon: false, CloseDate: '2026-04-01' }, facts, null);
    expect(d.stageHistory.map((e) => e.status)).toEqual(['open', 'lost']);
    expect(d.closedAt).toBe('2026-03-20T15:00:00.000Z');
  });

  it('bands employee counts and ignores junk', () => {
    expect([0, 50, 51, 1000, 5001].map(accountSizeBand)).toEqual(['1-50', '1-50', '51-200', '201-1000', '5000+']);
    expect(accountSizeBand('1200')).toBe('1001-5000');
    expect([null, '', 'many', -3].map(accountSizeBand)).toEqual([null, null, null, null]);
  });
});
