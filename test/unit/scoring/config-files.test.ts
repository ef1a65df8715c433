import { describe, expect, it } from 'vitest';
import { defaultScoringConfig } from '../../../src/core/scoring/config.ts';
import { loadPlaybook, loadScoringConfig, tenantPlaybook, tenantScoringConfig } from '../../../src/scoring/config.ts';

describe('scoring config files', () => {
  it('ships config/scoring.yaml equal to the code defaults', () => {
    expect(loadScoringConfig()).toEqual(defaultScoringConfig());
  });

  it('ships a valid config/playbook.yaml covering every priority', () => {
    const p = loadPlaybook();
    expect(new Set(p.rules.map((r) => r.priority))).toEqual(new Set(['immediate', 'this_week', 'ongoing']));
  });

  it("merges a tenant's thresholds over the defaults and names a bad key", () => {
    const base = loadScoringConfig();
    expect(base.thresholds.mode).toBe('relative');
    // Bounds saved without a mode (before categories could be relative) stay fixed bounds.
    const t = tenantScoringConfig(base, { scoring: { thresholds: { high: 80 } } }, 'acme');
    expect(t.thresholds).toEqual({ mode: 'fixed', low: 25, medium: 50, high: 80, relative: { low: 0.5, medium: 1.5, high: 3 } });
    const r = tenantScoringConfig(base, { scoring: { thresholds: { mode: 'relative', relative: { high: 4 } } } }, 'acme');
    expect(r.thresholds).toMatchObject({ mode: 'relative', relative: { low: 0.5, medium: 1.5, high: 4 } });
    expect(() => tenantScoringConfig(base, { scoring: { thresholds: { relative: { medium: 0.4 } } } }, 'acme')).toThrow(
      /thresholds\.relative: must satisfy low < medium < high/,
    );
    expect(() => tenantScoringConfig(base, { scoring: { thresholds: { low: 60 } } }, 'acme')).toThrow(
      /tenant acme settings\.scoring: thresholds: must satisfy low < medium < high/,
    );
    expect(() => tenantScoringConfig(base, { scoring: { interventionSuccessRate: 2 } }, 'acme')).toThrow(/interventionSuccessRate/);
  });

  it("uses a tenant's playbook override only when present", () => {
    const base = loadPlaybook();
    expect(tenantPlaybook(base, {}, 'acme')).toBe(base);
    expect(() => tenantPlaybook(base, { playbook: { version: 2, rules: [] } }, 'acme')).toThrow(/tenant acme settings\.playbook: version/);
  });
});
