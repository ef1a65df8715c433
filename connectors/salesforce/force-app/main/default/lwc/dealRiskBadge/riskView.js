/**
 * Pure view helpers for dealRiskBadge (no platform imports, so they are unit-tested in Node).
 * Category colours follow the product's bands: Low 0-25, Medium 26-50, High 51-75, Critical 76-100.
 */

export const CATEGORY_THEMES = Object.freeze({ Low: 'low', Medium: 'medium', High: 'high', Critical: 'critical' });

/** CSS modifier for the badge; unknown values get a neutral grey rather than a wrong colour. */
export function categoryTheme(category) {
    return CATEGORY_THEMES[category] || 'unknown';
}

/** One list item per non-empty line; leading bullets or numbers the writer added are dropped. */
export function toLines(text) {
    if (!text) return [];
    return String(text)
        .split(/\r?\n/)
        .map((line) => line.replace(/^\s*(?:[-*•]|\d+[.)])\s*/, '').trim())
        .filter((line) => line.length > 0)
        .map((line, i) => ({ key: `line-${i}`, text: line }));
}

/** Win_Probability__c is a Percent field: 28.35 means 28.35 %. */
export function formatProbability(percent) {
    if (percent === null || percent === undefined || Number.isNaN(Number(percent))) return '—';
    return `${Math.round(Number(percent))}%`;
}

const STATUS_NOTES = Object.freeze({
    experimental: 'Early model: few closed deals to learn from yet.',
    low_confidence: 'Low confidence: treat the score as a hint.',
    prior_only: 'Based on overall win rates only, not yet on this deal’s details.',
    no_signal: 'The model found no reliable signal in this org’s history; the score is not a prediction.',
});

/** A caveat to show under the badge, or null when the model is trusted (status ok). */
export function statusNote(status) {
    return STATUS_NOTES[status] || null;
}
