import type { Digest, DigestDeal } from '../sync/digest.ts';
import { actionLines } from './action-lines.ts';
import { digestAmount, forecastLines } from './forecast-lines.ts';

/** What an alert delivery carries (queued by the alerts step). */
export interface AlertMessage {
  externalId: string;
  name: string;
  score: number;
  category: string;
  drivers: string[];
  firstAction: string | null;
  ownerName: string | null;
  amount: number | null;
  /** The deal's own currency (alerts queued before issue 16 have none). */
  currency?: string | null;
  /** The amount in `reporting`; null without a rate. */
  converted?: number | null;
  /** The corporate currency the tenant's figures are in. */
  reporting?: string | null;
  url: string | null;
}

/** ` · €50,000 (≈ $54,100)`: the amount in its own currency, and in the corporate one when they differ. */
const money = (a: AlertMessage): string =>
  digestAmount({ amount: a.amount, currency: a.currency ?? null, converted: a.converted ?? null }, ' · ', a.reporting ?? null);
// Slack mrkdwn: &, < and > must be escaped; a link is <url|text>.
const slackEscape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const slackLink = (url: string | null, text: string): string => (url ? `<${url}|${slackEscape(text)}>` : slackEscape(text));

/** A Slack incoming-webhook body for a deal that entered Critical. */
export function renderAlertSlack(a: AlertMessage): Record<string, unknown> {
  const title = `:rotating_light: ${slackLink(a.url, a.name)} is now ${a.category} (${a.score}/100)`;
  const lines = [
    title,
    `${a.ownerName ? `Owner: ${slackEscape(a.ownerName)}` : 'No owner'}${money(a)}`,
    ...a.drivers.map((d) => `• ${slackEscape(d)}`),
    a.firstAction ? `*Next:* ${slackEscape(a.firstAction)}` : '',
  ].filter(Boolean);
  return {
    text: `${a.name} is now ${a.category} (${a.score}/100)`,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } }],
  };
}

function dealLine(d: DigestDeal, withOwner: boolean, reporting: string | null): string {
  const owner = withOwner && d.ownerName ? ` — ${slackEscape(d.ownerName)}` : '';
  const why = d.drivers[0] ? `\n    ${slackEscape(d.drivers[0])}` : '';
  const next = d.firstAction ? `\n    Next: ${slackEscape(d.firstAction)}` : '';
  return `*${d.score}* ${d.category} · ${slackLink(d.url, d.name ?? d.externalId)}${digestAmount(d, ' · ', reporting)}${owner}${why}${next}`;
}

export function renderDigestSlack(digest: Digest, audience: { kind: 'owner' | 'admin'; name: string | null }): Record<string, unknown> {
  const head =
    audience.kind === 'admin'
      ? `Deals at risk today${audience.name ? ` at ${slackEscape(audience.name)}` : ''}`
      : `Your deals at risk today`;
  const body = digest.deals.map((d, i) => `${i + 1}. ${dealLine(d, audience.kind === 'admin', digest.currency)}`).join('\n');
  const forecast = audience.kind === 'admin' && digest.forecast ? forecastLines(digest.forecast).map(slackEscape).join('\n') : '';
  const actions = audience.kind === 'admin' && digest.actions ? actionLines(digest.actions).map(slackEscape).join('\n') : '';
  return {
    text: `${head}: ${digest.deals.length} deals`,
    blocks: [
      {
        type: 'header',
        text: { type: 'plain_text', text: head.replace(/&amp;|&lt;|&gt;/g, (m) => ({ '&amp;': '&', '&lt;': '<', '&gt;': '>' })[m]!) },
      },
      { type: 'section', text: { type: 'mrkdwn', text: body || 'No High or Critical deals.' } },
      ...(forecast ? [{ type: 'section', text: { type: 'mrkdwn', text: forecast } }] : []),
      ...(actions ? [{ type: 'section', text: { type: 'mrkdwn', text: actions } }] : []),
    ],
  };
}

const html = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function renderDigestEmail(
  digest: Digest,
  audience: { kind: 'owner' | 'admin'; name: string | null },
): { subject: string; text: string; html: string } {
  const n = digest.deals.length;
  const subject =
    audience.kind === 'admin'
      ? `dealrisk: ${n} deals at risk${audience.name ? ` at ${audience.name}` : ''}`
      : `dealrisk: your ${n} deals at risk`;
  const text = digest.deals
    .map((d, i) =>
      [
        `${i + 1}. ${d.name ?? d.externalId}: ${d.score}/100 ${d.category}${digestAmount(d, ' · ', digest.currency)}${audience.kind === 'admin' && d.ownerName ? ` (${d.ownerName})` : ''}`,
        ...d.drivers.map((x) => `   - ${x}`),
        d.firstAction ? `   Next: ${d.firstAction}` : '',
        d.url ? `   ${d.url}` : '',
      ]
        .filter(Boolean)
        .join('\n'),
    )
    .join('\n\n');
  const rows = digest.deals
    .map(
      (d) =>
        `<tr><td><b>${d.score}</b> ${html(d.category)}</td><td>${d.url ? `<a href="${html(d.url)}">${html(d.name ?? d.externalId)}</a>` : html(d.name ?? d.externalId)}</td>` +
        `<td>${html(digestAmount(d, '', digest.currency))}</td><td>${html(d.ownerName ?? '')}</td>` +
        `<td>${d.drivers.map(html).join('<br>')}</td><td>${html(d.firstAction ?? '')}</td></tr>`,
    )
    .join('');
  const forecast = audience.kind === 'admin' && digest.forecast ? forecastLines(digest.forecast) : [];
  const actions = audience.kind === 'admin' && digest.actions ? actionLines(digest.actions) : [];
  return {
    subject,
    text: [text || 'No High or Critical deals today.', forecast.join('\n'), actions.join('\n')].filter(Boolean).join('\n\n'),
    html:
      `<table><tr><th>Risk</th><th>Deal</th><th>Amount</th><th>Owner</th><th>Why</th><th>Next</th></tr>${rows}</table>` +
      (forecast.length ? `<p>${forecast.map(html).join('<br>')}</p>` : '') +
      (actions.length ? `<p>${actions.map(html).join('<br>')}</p>` : ''),
  };
}
