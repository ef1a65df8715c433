/** A forecast quarter: [start, end) in UTC, named after its (fiscal) year. */
export interface Quarter {
  /** `2026-Q4` for calendar years; `FY2027-Q1` when the fiscal year starts in another month. */
  key: string;
  start: Date;
  end: Date;
}

/**
 * The quarter `at` falls in. `fiscalYearStartMonth` (1 = January) shifts the quarters; a fiscal
 * year is named after the calendar year it ends in (a year starting February 2026 is FY2027).
 * Boundaries are UTC midnights, as CRMs keep close dates.
 */
export function quarterOf(at: Date, fiscalYearStartMonth = 1): Quarter {
  const start0 = fiscalYearStartMonth - 1;
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth();
  const offset = (m - start0 + 12) % 12;
  const q = Math.floor(offset / 3);
  const fyStartYear = m >= start0 ? y : y - 1;
  const startMonth = start0 + q * 3;
  const start = new Date(Date.UTC(fyStartYear, startMonth, 1));
  const end = new Date(Date.UTC(fyStartYear, startMonth + 3, 1));
  const key = start0 === 0 ? `${fyStartYear}-Q${q + 1}` : `FY${fyStartYear + 1}-Q${q + 1}`;
  return { key, start, end };
}

/** The quarter after `q`. */
export const nextQuarter = (q: Quarter, fiscalYearStartMonth = 1): Quarter => quarterOf(q.end, fiscalYearStartMonth);

/** The quarter before `q`. */
export const previousQuarter = (q: Quarter, fiscalYearStartMonth = 1): Quarter =>
  quarterOf(new Date(q.start.getTime() - 86_400_000), fiscalYearStartMonth);
