import { writeFileSync } from 'node:fs';
import { AppError } from '../../core/errors.ts';
import type { DealScore } from '../../core/scoring/scorer.ts';
import { createScoringService } from '../../scoring/service.ts';
import { writeCsv } from '../csv.ts';
import { type CliDeps, report } from '../deps.ts';
import { effect, signedSentence } from '../score-detail.ts';
import { table } from '../table.ts';

const CSV_COLUMNS = [
  'externalId',
  'name',
  'riskScore',
  'category',
  'winProbability',
  'confidence',
  'modelStatus',
  'driver1',
  'driver1Effect',
  'driver2',
  'driver2Effect',
  'driver3',
  'driver3Effect',
  'action1',
  'action2',
  'similarWon',
  'note',
] as const;

/** One flat row per deal for the CSV export: every text whole, each driver with the way it pushes. */
function flat(s: DealScore, name: string | null): Record<(typeof CSV_COLUMNS)[number], unknown> {
  const driver = (i: number) => s.drivers[i]?.sentence ?? '';
  const driverEffect = (i: number) => (s.drivers[i] ? effect(s.drivers[i]) : '');
  return {
    externalId: s.externalId,
    name,
    riskScore: s.riskScore,
    category: s.category,
    winProbability: Math.round(s.winProbability * 1000) / 1000,
    confidence: s.confidence,
    modelStatus: s.modelStatus,
    driver1: driver(0),
    driver1Effect: driverEffect(0),
    driver2: driver(1),
    driver2Effect: driverEffect(1),
    driver3: driver(2),
    driver3Effect: driverEffect(2),
    action1: s.actions[0] ? `${s.actions[0].priority}: ${s.actions[0].title}` : '',
    action2: s.actions[1] ? `${s.actions[1].priority}: ${s.actions[1].title}` : '',
    similarWon: s.similarWon.map((d) => d.name ?? d.externalId).join('; '),
    note: s.note ?? '',
  };
}

/** One deal as --json prints it: drivers with their direction and sentence, actions with their reason. */
const jsonRow = (s: DealScore, name: string | null) => ({
  externalId: s.externalId,
  name,
  riskScore: s.riskScore,
  category: s.category,
  winProbability: s.winProbability,
  confidence: s.confidence,
  modelStatus: s.modelStatus,
  drivers: s.drivers.map((d) => ({ label: d.label, direction: d.direction, contribution: d.contribution, sentence: d.sentence })),
  actions: s.actions.map((a) => ({ priority: a.priority, title: a.title, rationale: a.rationale })),
  similarWon: s.similarWon,
  note: s.note,
});

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
    writeCsv(
      o.out,
      CSV_COLUMNS,
      scores.map((s) => flat(s, names.get(s.externalId) ?? null)),
    );
  }
  const byCategory = { Low: 0, Medium: 0, High: 0, Critical: 0 };
  for (const s of scores) byCategory[s.category]++;
  const top = [...scores].sort((a, b) => b.riskScore - a.riskScore).slice(0, o.limit);
  const summary = {
    tenant: o.tenant,
    scored: scores.length,
    modelId,
    modelVersion: model.version,
    modelStatus: model.status,
    byCategory,
    out: o.out ?? null,
    seconds,
    riskiest: top.map((s) => jsonRow(s, names.get(s.externalId) ?? null)),
  };
  report(deps, o.json, summary, () =>
    [
      `Scored ${scores.length} open deals of tenant "${o.tenant}" with model v${model.version} (${model.status}) in ${seconds.toFixed(1)} s: ` +
        `${byCategory.Critical} Critical, ${byCategory.High} High, ${byCategory.Medium} Medium, ${byCategory.Low} Low.`,
      ...(model.status === 'no_signal' ? ['The model shows no signal on its backtest: treat these scores as experimental.'] : []),
      ...(top.length
        ? [
            `The ${top.length} riskiest (top driver: + raises the risk, - lowers it):`,
            table(
              top.map((s) => ({ ...flat(s, names.get(s.externalId) ?? null), driver1: s.drivers[0] ? signedSentence(s.drivers[0]) : '' })),
              ['externalId', 'name', 'riskScore', 'category', 'driver1', 'action1'],
              { cutNote: `--json${o.out ? ` and ${o.out}` : ', --out <file> and `dealrisk deals show <id>`'} have it in full` },
            ),
          ]
        : []),
      ...(o.out ? [`Wrote ${scores.length} scores to ${o.out}.`] : []),
    ].join('\n'),
  );
}
