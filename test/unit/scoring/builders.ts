import { Deal, type DealInput } from '../../../src/core/deal.ts';
import { parseScoringConfig, type ScoringConfig, type ScoringConfigInput } from '../../../src/core/scoring/config.ts';
import { rng } from '../../../src/core/scoring/stats.ts';

let seq = 0;

/** A canonical deal with sensible defaults; pass only what the test is about. */
export function aDeal(o: Partial<DealInput> = {}): Deal {
  seq++;
  return Deal.parse({ tenantId: 't1', source: 'csv', externalId: `d${seq}`, stage: { status: 'open' }, amount: 10_000, ...o });
}

export const day = (iso: string): Date => new Date(`${iso}T00:00:00Z`);
export const addDays = (d: Date, n: number): Date => new Date(d.getTime() + n * 86_400_000);

/** Fast settings for unit tests (fewer bootstrap rounds; everything else default). */
export const testConfig = (o: ScoringConfigInput = {}): ScoringConfig =>
  parseScoringConfig({ backtest: { bootstrap: 200, seed: 1, experimentalBelowAuc: 0.6 }, ...o });

export interface SyntheticOptions {
  n: number;
  seed?: number;
  /** Loss probability of a deal; default: pure noise at 50%. */
  lossProb?: (d: Deal) => number;
  start?: Date;
}

const INDUSTRIES = ['SaaS', 'FinTech', 'EdTech', 'HealthTech'];
const SOURCES = ['Inbound', 'Outbound', 'Referral', 'Partner'];
const REGIONS = ['NA', 'EU', 'APAC'];

/** Closed deals with random segments, amounts and dates; outcomes drawn from `lossProb`. */
export function syntheticClosed(opts: SyntheticOptions): Deal[] {
  const r = rng(opts.seed ?? 7);
  const start = opts.start ?? day('2023-01-01');
  const out: Deal[] = [];
  for (let i = 0; i < opts.n; i++) {
    const createdAt = addDays(start, Math.floor(r() * 365));
    const base = aDeal({
      externalId: `s${opts.seed ?? 7}-${i}`,
      amount: Math.round(2000 + r() * 98_000),
      createdAt,
      account: { industry: INDUSTRIES[Math.floor(r() * 4)]!, region: REGIONS[Math.floor(r() * 3)]! },
      leadSource: SOURCES[Math.floor(r() * 4)]!,
      owner: { id: `rep${Math.floor(r() * 5)}`, name: `Rep ${Math.floor(r() * 5)}` },
      product: r() < 0.5 ? 'Core' : 'Pro',
    });
    const lost = r() < (opts.lossProb ?? (() => 0.5))(base);
    out.push({
      ...base,
      stage: { label: lost ? 'Closed Lost' : 'Closed Won', status: lost ? 'lost' : 'won', order: null },
      closedAt: addDays(createdAt, 10 + Math.floor(r() * 90)),
    });
  }
  return out;
}

export interface NoiseOptions {
  n: number;
  seed?: number;
  /** Loss rate of the deal closing at this point of the history (0 = first close, 1 = last). */
  lossRateAt?: (position: number) => number;
}

/**
 * Closed deals whose outcome depends on nothing a model can see: segments, owners, amounts and
 * extras are drawn independently of it (like SkyGeni's synthetic file). Deals close one after
 * another over two years, so a time split puts the latest 20% in the test set; `lossRateAt`
 * can make the outcome rate move over time while staying unrelated to every feature.
 */
export function noiseDeals(opts: NoiseOptions): Deal[] {
  const r = rng(opts.seed ?? 3);
  const start = day('2022-01-01');
  const out: Deal[] = [];
  for (let i = 0; i < opts.n; i++) {
    const position = i / opts.n;
    const closedAt = addDays(start, Math.floor(position * 730));
    const createdAt = addDays(closedAt, -(5 + Math.floor(r() * 120)));
    const rep = Math.floor(r() * 25);
    const lost = r() < (opts.lossRateAt ?? (() => 0.5))(position);
    out.push(
      aDeal({
        externalId: `noise${opts.seed ?? 3}-${i}`,
        amount: Math.round(1000 + r() ** 2 * 150_000),
        createdAt,
        closedAt,
        stage: { label: lost ? 'Closed Lost' : 'Closed Won', status: lost ? 'lost' : 'won', order: null },
        account: { industry: INDUSTRIES[Math.floor(r() * 4)]!, region: REGIONS[Math.floor(r() * 3)]! },
        leadSource: SOURCES[Math.floor(r() * 4)]!,
        owner: { id: `005${String(rep).padStart(12, '0')}`, name: `Rep ${rep}` },
        product: ['Core', 'Pro', 'Suite'][Math.floor(r() * 3)]!,
        extras: { solution: `Solution ${Math.floor(r() * 40)}`, vertical: `V${Math.floor(r() * 8)}` },
      }),
    );
  }
  return out;
}
