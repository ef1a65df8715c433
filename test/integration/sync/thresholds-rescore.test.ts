import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { scoringChangedPatch } from '../../../src/core/scoring/config.ts';
import { HOUR } from './helpers/context.ts';
import type { FileCrm } from './helpers/file-crm.ts';
import { type Harness, harness } from './helpers/harness.ts';

describe('a change of risk thresholds', () => {
  let h: Harness;
  let crm: FileCrm;
  beforeEach(async () => {
    h = await harness();
    ({ crm } = await h.tenant('t1'));
  });
  afterEach(async () => h.close());

  it('rescores every open deal on the next sync, once, so no category of the old setting stays', async () => {
    crm.put({ Id: 'A', Risk: 40 }, { Id: 'B', Risk: 60 }, { Id: 'C', Status: 'won', ClosedDate: '2026-11-01T00:00:00Z' });
    await h.sync();
    await h.sync();
    h.clock.advance(HOUR);
    expect((await h.sync()).runs[0]!.counts).toMatchObject({ scored: 0 });

    await h.ctx.store.tenants.updateSettings('t1', {
      scoring: { thresholds: { mode: 'fixed', low: 30, medium: 55, high: 80 } },
      ...scoringChangedPatch(h.clock.now()),
    });
    h.clock.advance(HOUR);
    expect((await h.sync()).runs[0]!.counts).toMatchObject({ scored: 2 });
    h.clock.advance(HOUR);
    expect((await h.sync()).runs[0]!.counts).toMatchObject({ scored: 0 });
  });
});
