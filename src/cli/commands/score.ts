import { writeFileSync } from 'node:fs';
import { AppError } from '../../core/errors.ts';
import type { DealScore } from '../../core/scoring/scorer.ts';
import { createScoringService } from '../../services/scoring.ts';
import { report, type CliDeps } from '../deps.ts';
import { table } from '../table.ts';

const csvCell = (v: unknown): string => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** One flat row per deal for the CSV export and the terminal table. */
function flat(s: DealScore, name: string | null) {
  return {
    externalId: s.externalId,
    name,
    riskScore: s.riskScore,
    category: s.category,
    winProbability: Math.round(s.winProbability * 1000) / 1000,
    confidence: s.confidence,
    modelStatus: s.modelStatus,
    driver1: s.drivers[0]?.sentence ?? '',
    driver2: s.drivers[1]?.sentence ?? '',
    driver3: s.drivers[2]?.sentence ?? '',
    action1: s.actions[0] ? `${s.actions[0].priority}: ${s.actions[0].title}` : '',
    action2: s.actions[1] ? `${s.actions[1].priority}: ${s.actions[1].title}` : '',
    similarWon: s.similarWon.map((d) => d.name ?? d.externalId).join('; '),
    note: s.note ?? '',
  };
}

export interface ScoreOptions {
  tenant: string;
  out?: string;
  limit: number;
  json?: boolean;
}

/** `dealrisk score` (declared in ../program.ts). */
export async function runScore(deps: CliDeps, o: ScoreOptions): Promise<void> {
  if (o.out && !/\.(csv|json)$/i.test(o.out)) throw new AppError('input_invalid', `--out: expected a .csv or .json file, got "${o.out}"`);
  const ctx = await deps.context();
  const started = performance.now();
  const { scores, model, modelId } = await createScoringService({ store: ctx.store }).scoreOpenDeals(o.tenant, ctx.now());
  const seconds = (performance.now() - started) / 1000;
  const names = new Map((await ctx.store.deals.list(o.tenant, { status: 'open' })).map((d) => [d.externalId, d.name]));
  if (o.out?.toLowerCase().endsWith('.json')) writeFileSync(o.out, JSON.stringify(scores, null, 2));
  else if (o.out) {
    const rows = scores.map((s) => flat(s, names.get(s.externalId) ?? null));
    const cols = Object.keys(rows[0] ?? flat(scores[0] ?? ({ drivers: [], actions: [], similarWon: [] } as unknown as DealScore), null));
    writeFileSync(o.out, [cols.join(','), ...rows.map((r) => cols.map((c) => csvCell((r as Record<string, unknown>)[c])).join(','))].join('\n') + '\n');
  }
  const byCategory = { Low: 0, Medium: 0, High: 0, Critical: 0 };
  for (const s of scores) byCategory[s.category]++;
  const summary = { tenant: o.tenant, scored: scores.length, modelId, modelVersion: model.version, modelStatus: model.status, byCategory, out: o.out ?? null, seconds };
  report(deps, o.json, summary, () => {
    const top = [...scores].sort((a, b) => b.riskScore - a.riskScore).slice(0, Number(o.limit) || 20);
    return [
      `Scored ${scores.length} open deals of tenant "${o.tenant}" with model v${model.version} (${model.status}) in ${seconds.toFixed(1)} s: ` +
        `${byCategory.Critical} Critical, ${byCategory.High} High, ${byCategory.Medium} Medium, ${byCategory.Low} Low.`,
      ...(model.status === 'no_signal' ? ['The model shows no signal on its backtest: treat these scores as experimental.'] : []),
      ...(top.length ? [table(top.map((s) => flat(s, names.get(s.externalId) ?? null)), ['externalId', 'name', 'riskScore', 'category', 'driver1', 'action1'])] : []),
      ...(o.out ? [`Wrote ${scores.length} scores to ${o.out}.`] : []),
    ].join('\n');
  });
}
