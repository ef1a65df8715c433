import type { DigestForecast, DigestMoney } from '../sync/digest-forecast.ts';

/** `€50,000`, `$1,200`, or the bare number when the currency is unknown. */
export function moneyText(n: number, code: string | null): string {
  if (code) {
    try {
      return new Intl.NumberFormat('en-US', {
        style: 'currency',
        currency: code,
        maximumFractionDigits: 0,
        minimumFractionDigits: 0,
      }).format(n);
    } catch {
      return `${Math.round(n).toLocaleString('en-US')} ${code}`;
    }
  }
  return Math.round(n).toLocaleString('en-US');
}

/**
 * A digest deal's amount in its own currency, with the converted figure when the currencies
 * differ: `€50,000 (≈ $54,100)`. Empty when the deal has no amount.
 */
export function digestAmount(d: DigestMoney & { amount: number | null }, prefix: string, reporting: string | null): string {
  if (d.amount === null) return '';
  const own = d.currency ?? reporting;
  const shown = moneyText(d.amount, own);
  if (!own || !reporting || own === reporting) return `${prefix}${shown}`;
  return `${prefix}${shown} (${d.converted === null ? `no ${own} rate` : `≈ ${moneyText(d.converted, reporting)}`})`;
}

const pct = (x: number, of: number): string => (of > 0 ? `${Math.round((x / of) * 100)}%` : '—');

/** The managers' forecast lines: this quarter's Commit next to its risk-adjusted value, per rep, and the Commit deals at risk. */
export function forecastLines(f: DigestForecast): string[] {
  const m = (n: number) => moneyText(n, f.currency);
  const lines = [
    `Forecast against the model, ${f.quarter}: Commit ${m(f.commit.amount)} (${f.commit.deals} deals), risk-adjusted ${m(f.commit.riskAdjusted)} (${pct(f.commit.riskAdjusted, f.commit.amount)}); Best Case ${m(f.bestCase.amount)}, risk-adjusted ${m(f.bestCase.riskAdjusted)}.`,
    ...f.reps.map(
      (r) =>
        `  ${r.ownerName ?? r.ownerId ?? 'No owner'}: Commit ${m(r.commitAmount)}, risk-adjusted ${m(r.commitRiskAdjusted)}; ${r.commitAtRisk} Commit and ${r.bestCaseAtRisk} Best Case deals the model rates High or Critical; ${r.pipelineLow} Pipeline deals it rates Low.`,
    ),
  ];
  if (f.commitAtRisk.length) {
    lines.push('Commit deals the model rates High or Critical:');
    for (const d of f.commitAtRisk)
      lines.push(
        `  ${d.name ?? d.externalId}${d.ownerName ? ` (${d.ownerName})` : ''}: ${d.category}, P(win) ${Math.round(d.winProbability * 100)}%${digestAmount(d, ', ', f.currency)}`,
      );
  }
  return lines;
}
