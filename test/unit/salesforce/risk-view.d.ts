// Types for the record-page component's pure helpers (plain JS in the LWC bundle, where a
// .d.ts file would not deploy).
declare module '*/lwc/dealRiskBadge/riskView.js' {
  export const CATEGORY_THEMES: Readonly<Record<'Low' | 'Medium' | 'High' | 'Critical', string>>;
  export function categoryTheme(category: string | null | undefined): string;
  export function toLines(text: string | null | undefined): Array<{ key: string; text: string }>;
  export function formatProbability(percent: number | null | undefined): string;
  export function statusNote(status: string | null | undefined): string | null;
}
