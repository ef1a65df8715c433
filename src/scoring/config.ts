import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { type Playbook, parsePlaybook } from '../core/actions/playbook.ts';
import { AppError } from '../core/errors.ts';
import { parseScoringConfig, type ScoringConfig } from '../core/scoring/config.ts';

/** config/ at the repository root. */
export const CONFIG_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../config');

function readYaml(file: string): unknown {
  try {
    return parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new AppError('config_invalid', `${file}: ${(e as Error).message}`, { path: file, cause: e });
  }
}

/** The shipped scoring defaults (config/scoring.yaml), validated. */
export const loadScoringConfig = (file = path.join(CONFIG_DIR, 'scoring.yaml')): ScoringConfig => parseScoringConfig(readYaml(file), file);

/** The shipped playbook (config/playbook.yaml), validated. */
export const loadPlaybook = (file = path.join(CONFIG_DIR, 'playbook.yaml')): Playbook => parsePlaybook(readYaml(file), file);

/**
 * A tenant's effective scoring config: the shipped file with the tenant's `settings.scoring`
 * merged over it (key by key inside thresholds, thresholds.relative and backtest). Thresholds
 * saved with score bounds but no mode are fixed bounds (all there was before `relative`).
 */
export function tenantScoringConfig(base: ScoringConfig, settings: Record<string, unknown> | undefined, tenantId: string): ScoringConfig {
  const o = (settings?.scoring ?? {}) as Record<string, unknown>;
  if (typeof o !== 'object' || o === null) throw new AppError('config_invalid', `tenant ${tenantId} settings.scoring: expected an object`);
  const merged: Record<string, unknown> = { ...base, ...o };
  for (const k of ['thresholds', 'backtest'] as const) {
    if (o[k] && typeof o[k] === 'object') merged[k] = { ...base[k], ...(o[k] as object) };
  }
  const t = o.thresholds as Record<string, unknown> | undefined;
  if (t && typeof t === 'object') {
    const relative =
      t.relative && typeof t.relative === 'object' ? { ...base.thresholds.relative, ...t.relative } : base.thresholds.relative;
    // Score bounds saved before categories could be relative meant fixed bounds: keep them so.
    const mode = t.mode ?? (['low', 'medium', 'high'].some((b) => b in t) ? 'fixed' : base.thresholds.mode);
    merged.thresholds = { ...(merged.thresholds as object), relative, mode };
  }
  return parseScoringConfig(merged, `tenant ${tenantId} settings.scoring`);
}

/** A tenant's playbook: its override in `settings.playbook` when present, else the shipped one. */
export function tenantPlaybook(base: Playbook, settings: Record<string, unknown> | undefined, tenantId: string): Playbook {
  const o = settings?.playbook;
  return o === undefined || o === null ? base : parsePlaybook(o, `tenant ${tenantId} settings.playbook`);
}
