import {
  type CurrencyConverter,
  currencyConverter,
  type MoneyDeal,
  type UnconvertedDeal,
  unconvertedByCurrency,
} from '../../core/currency/convert.ts';
import { normalizeCurrency } from '../../core/currency/rates.ts';
import type { Store } from '../../store/index.ts';
import { day, money } from '../http/format.ts';
import { html, type SafeHtml } from '../http/html.ts';

const formats = new Map<string, Intl.NumberFormat | null>();

/** `$54,100`, `€50,000`, `A$1,200`: an amount in a currency (a bare number when it has none). */
export function moneyIn(n: number | null | undefined, code: string | null | undefined): string {
  if (n === null || n === undefined) return '—';
  const c = normalizeCurrency(code);
  if (c === null) return money(n);
  let f = formats.get(c);
  if (f === undefined) {
    try {
      f = new Intl.NumberFormat('en-US', { style: 'currency', currency: c, maximumFractionDigits: 0, minimumFractionDigits: 0 });
    } catch {
      // Not an ISO 4217 code Intl knows: the number and the code as the CRM gave it.
      f = null;
    }
    formats.set(c, f);
  }
  return f ? f.format(n) : `${money(n)} ${c}`;
}

/** `$35K`, `€1.2M`: compact, for small print. */
export function moneyCompact(n: number | null | undefined, code: string | null | undefined): string {
  if (n === null || n === undefined) return '—';
  const c = normalizeCurrency(code);
  try {
    return new Intl.NumberFormat('en-US', {
      notation: 'compact',
      maximumFractionDigits: 1,
      ...(c ? { style: 'currency' as const, currency: c } : {}),
    }).format(n);
  } catch {
    return `${new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 }).format(n)} ${c}`;
  }
}

/** How a page shows amounts: the tenant's reporting currency and each deal's own amount next to it. */
export interface PageMoney {
  reporting: string | null;
  converter: CurrencyConverter;
  /** `€50,000` with `≈ $54,100` under it when the currencies differ (or why it has no converted figure). */
  cell(d: MoneyDeal): SafeHtml;
  /** One line: `€50,000 (≈ $54,100 at the rate for 2026-12-15)`. */
  line(d: MoneyDeal): string;
}

/** Reads the tenant's stored rates once per request. */
export async function pageMoney(store: Store, tenantId: string, now: Date, deals: readonly MoneyDeal[] = []): Promise<PageMoney> {
  const converter = currencyConverter(await store.currencyRates.bySource(tenantId), deals, now);
  const reporting = converter.reporting;
  const parts = (d: MoneyDeal) => {
    const own = normalizeCurrency(d.currency) ?? reporting;
    const c = converter.convert(d);
    return { own, c, shown: moneyIn(d.amount, own), differs: own !== null && reporting !== null && own !== reporting };
  };
  return {
    reporting,
    converter,
    cell(d) {
      const { c, shown, differs } = parts(d);
      if (!differs || !c) return html`${shown}`;
      return c.ok
        ? html`${shown}<br><span class="small muted" title="in ${reporting}">≈ ${moneyIn(c.value, reporting)}</span>`
        : html`${shown}<br><span class="small muted" title="${c.reason}">no rate</span>`;
    },
    line(d) {
      const { c, shown, differs } = parts(d);
      if (!differs || !c) return shown;
      const at = day(d.expectedCloseDate ?? d.closedAt ?? now);
      return c.ok ? `${shown} (≈ ${moneyIn(c.value, reporting)} at the rate for ${at})` : `${shown} (not converted: ${c.reason})`;
    },
  };
}

/** The note under a page's figures: which currency, and the deals left out for want of a rate. */
export function currencyNote(reporting: string | null, left: readonly UnconvertedDeal[], what = 'open deals'): SafeHtml {
  const basis = reporting
    ? html`<p class="small muted" data-currency="${reporting}">Amounts in ${reporting}, each deal converted at the rate in force on its close date.</p>`
    : html``;
  if (left.length === 0) return basis;
  const sums = unconvertedByCurrency(left)
    .map((x) => `${moneyIn(x.amount, x.currency)} in ${x.deals} deal${x.deals === 1 ? '' : 's'}`)
    .join(', ');
  return html`${basis}<section class="card warn" aria-label="Deals not converted" id="unconverted">
  <p><strong>${left.length} ${what} are not in these amounts</strong>: no exchange rate for their close date (${sums}).</p>
  <table><thead><tr><th>Deal</th><th class="num">Amount</th><th>Close date</th><th>Owner</th><th>Why</th></tr></thead>
  <tbody>${left
    .slice(0, 50)
    .map(
      (u) =>
        html`<tr><td>${u.name ?? u.externalId}</td><td class="num">${moneyIn(u.amount, u.currency)}</td><td>${u.rateDate}</td><td>${u.ownerName ?? '—'}</td><td>${u.reason}</td></tr>`,
    )}</tbody></table>${left.length > 50 ? html`<p class="small muted">and ${left.length - 50} more</p>` : ''}
</section>`;
}
