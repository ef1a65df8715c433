/** Display formats for pages: money without cents, percentages, dates and relative ages. */
const money0 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

export const money = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : money0.format(n));
export const moneyShort = (n: number | null | undefined): string => (n === null || n === undefined ? '—' : compact.format(n));
export const pct = (x: number | null | undefined, digits = 0): string =>
  x === null || x === undefined ? '—' : `${(x * 100).toFixed(digits)}%`;
export const num = (x: number | null | undefined, digits = 2): string => (x === null || x === undefined ? '—' : x.toFixed(digits));
export const day = (d: Date | string | null | undefined): string => {
  if (!d) return '—';
  const x = typeof d === 'string' ? new Date(d) : d;
  return Number.isNaN(x.getTime()) ? '—' : x.toISOString().slice(0, 10);
};
export const dateTime = (d: Date | string | null | undefined): string => {
  if (!d) return '—';
  const x = typeof d === 'string' ? new Date(d) : d;
  return Number.isNaN(x.getTime()) ? '—' : `${x.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
};
export const ageDays = (createdAt: Date | null | undefined, now: Date): number | null =>
  createdAt ? Math.max(0, Math.floor((now.getTime() - createdAt.getTime()) / 86_400_000)) : null;
