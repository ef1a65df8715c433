import type { Router } from 'express';
import { stringify as toYaml } from 'yaml';
import { baseLossRate, scoreBounds } from '../../core/scoring/categories.ts';
import { RiskModel } from '../../core/scoring/model.ts';
import { loadScoringConfig, tenantScoringConfig } from '../../scoring/config.ts';
import { forecastSettings } from '../../scoring/forecast.ts';
import type { Delivery } from '../../store/repos/deliveries.ts';
import { loadSyncConfig } from '../../sync/config.ts';
import { defaultSource, type MappingSourceName } from '../api/settings.ts';
import type { Principal } from '../auth/principal.ts';
import type { ServerContext } from '../context.ts';
import { dateTime } from '../http/format.ts';
import { html, raw, type SafeHtml } from '../http/html.ts';
import { playbookRecords } from './action-records.ts';
import { attempt, pageRoute, q1 } from './common.ts';
import { csrfField } from './layout.ts';
import { settingsActions } from './settings-actions.ts';
import { type MappingEcho, mappingSection } from './settings-mapping.ts';

/** What a settings form posted back when it failed validation or asked for a preview. */
export interface SettingsEcho {
  section: 'mapping' | 'playbook' | 'thresholds' | 'forecast' | 'alerts' | 'keys';
  errors?: string[];
  text?: string;
  source?: MappingSourceName;
  /** The mapping form or YAML view's post: the document, its problems by row, a preview. */
  mapping?: MappingEcho;
  /** A just-created API key's secret: shown once, never stored in clear. */
  newKey?: { name: string; secret: string };
}

const sel = (on: boolean) => (on ? raw(' selected') : '');

/** Settings: mapping, playbook, thresholds, schedule, alerts, API keys and people. Viewers read only. */
export async function renderSettings(
  s: ServerContext,
  p: Principal,
  opts: { source?: MappingSourceName; echo?: SettingsEcho },
): Promise<SafeHtml> {
  const { store } = s.app;
  const admin = p.role === 'admin';
  const echo = opts.echo;
  const source = echo?.source ?? opts.source ?? (await defaultSource(store, p.tenantId));
  const tenant = await store.tenants.get(p.tenantId);
  const settings = tenant?.settings ?? {};
  const [playbook, keys, users, deliveries] = await Promise.all([
    attempt(() => s.deps.scoring.playbook.get(p.tenantId)),
    admin ? store.apiKeys.list(p.tenantId) : Promise.resolve([]),
    admin ? store.users.list(p.tenantId) : Promise.resolve([]),
    admin ? store.deliveries.list(p.tenantId, { limit: 50 }) : Promise.resolve([]),
  ]);
  const errs = (section: SettingsEcho['section']) =>
    echo?.section === section && echo.errors?.length
      ? html`<div class="errors" role="alert" id="${section}-errors"><strong>Not saved:</strong><ul>${echo.errors.map((e) => html`<li>${e}</li>`)}</ul></div>`
      : '';
  const ro = admin ? '' : raw(' readonly');
  const syncBase = loadSyncConfig();
  const tSync = (settings.sync ?? {}) as { alerts?: Record<string, unknown>; digest?: Record<string, unknown> };
  const alerts = { ...syncBase.alerts, ...(tSync.alerts ?? {}) } as typeof syncBase.alerts;
  const digest = { ...syncBase.digest, ...(tSync.digest ?? {}) } as typeof syncBase.digest;
  const playbookText =
    echo?.section === 'playbook' && echo.text !== undefined ? echo.text : playbook.ok ? toYaml(playbook.value.playbook) : '';

  return html`
${await mappingSection(s, p, source, echo?.section === 'mapping' ? echo.mapping : undefined)}

<section aria-labelledby="h-playbook"><h2 id="h-playbook">Playbook</h2>
<p class="muted small">Rules that turn a deal's category and drivers into recommended actions. ${playbook.ok ? (playbook.value.overridden ? 'This workspace has its own playbook.' : 'Using the shipped playbook.') : playbook.message}</p>
${errs('playbook')}
<form method="post" action="/settings/playbook">${csrfField(p)}
<label for="playbook-text">Playbook (YAML)</label><textarea id="playbook-text" name="playbook" rows="14" spellcheck="false"${ro}>${playbookText}</textarea>
${admin ? html`<p><button type="submit">Save playbook</button></p>` : ''}</form>
${playbook.ok ? await playbookRecords(s, p.tenantId, playbook.value.playbook) : ''}</section>

${await thresholdsSection(s, p, settings, errs('thresholds'))}

${await forecastSection(p, settings, errs('forecast'))}

<section aria-labelledby="h-alerts"><h2 id="h-alerts">Schedule and alerts</h2>
<p class="small">Sync schedule: <code>${syncBase.schedule.cron}</code> (${syncBase.schedule.timezone}), set for the whole deployment in <code>config/sync.yaml</code>; admins can also <a href="/sync">sync now</a>.</p>
${errs('alerts')}
<form method="post" action="/settings/alerts" class="filters">${csrfField(p)}
<div><label for="a-threshold">Alert when risk reaches</label><input id="a-threshold" name="threshold" type="number" min="0" max="100" value="${alerts.threshold}"${ro}></div>
<div><label for="a-slack">Slack incoming webhook</label><input id="a-slack" name="slackWebhookUrl" type="url" size="40" placeholder="${alerts.slackWebhookUrl ? 'set (hidden); enter a new URL to replace it' : 'https://hooks.slack.com/services/…'}" value=""${ro}></div>
<div><label for="a-quiet-start">Quiet from</label><input id="a-quiet-start" name="quietStart" placeholder="20:00" size="5" value="${alerts.quietHours?.start ?? ''}"${ro}></div>
<div><label for="a-quiet-end">until</label><input id="a-quiet-end" name="quietEnd" placeholder="08:00" size="5" value="${alerts.quietHours?.end ?? ''}"${ro}></div>
<div><label for="d-time">Daily digest at</label><input id="d-time" name="digestTime" size="5" value="${digest.localTime}"${ro}></div>
<div><label for="d-tz">Time zone</label><input id="d-tz" name="timezone" size="16" value="${digest.timezone}"${ro}></div>
<div><label for="d-emails">Digest summary to (emails)</label><input id="d-emails" name="adminEmails" size="30" value="${digest.adminEmails.join(', ')}"${ro}></div>
${admin ? html`<button type="submit">Save alerts</button>` : ''}</form>
${admin ? deliveryFailures(deliveries) : ''}</section>

${admin ? keysSection(p, keys, echo) : ''}
${admin ? membersSection(p, users) : ''}`;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/**
 * The fiscal year the forecast's quarters follow (settings.forecast.fiscalYearStartMonth). Set
 * here, not read from the CRM: the app does not read Salesforce's Organization.FiscalYearStartMonth,
 * and HubSpot's API has no fiscal year (docs/forecast.md).
 */
async function forecastSection(p: Principal, settings: Record<string, unknown>, errors: SafeHtml | ''): Promise<SafeHtml> {
  const admin = p.role === 'admin';
  const dis = admin ? '' : raw(' disabled');
  const current = await attempt(async () => forecastSettings(settings, p.tenantId).fiscalYearStartMonth);
  const month = current.ok ? current.value : 1;
  return html`<section aria-labelledby="h-forecast"><h2 id="h-forecast">Forecast quarters</h2>
${errors}${current.ok ? '' : html`<p class="errors">${current.message}</p>`}
<form method="post" action="/settings/forecast" class="filters">${csrfField(p)}
<div><label for="f-fy-start">Fiscal year starts in</label><select id="f-fy-start" name="fiscalYearStartMonth"${dis}>${MONTHS.map(
    (m, i) => html`<option value="${i + 1}"${sel(month === i + 1)}>${m}</option>`,
  )}</select></div>
${admin ? html`<button type="submit">Save fiscal year</button>` : ''}</form>
<p class="small muted">The forecast's quarters (the Forecast page, the overview, the managers' digest, <code>GET /v1/forecast/reconciliation</code>) follow it; a fiscal year is named after the year it ends in. Set it to your CRM's: Salesforce keeps it in Setup → Company Settings → Fiscal Year, which the app does not read; HubSpot has no fiscal year. Quarters already recorded in the track record keep the names they had.</p></section>`;
}

/**
 * Risk thresholds: relative to the base rate (odds multiples) or fixed score bounds, and the score
 * ranges they give with the active model, so an admin sees what a category means today.
 */
async function thresholdsSection(
  s: ServerContext,
  p: Principal,
  settings: Record<string, unknown>,
  errors: SafeHtml | '',
): Promise<SafeHtml> {
  const admin = p.role === 'admin';
  const ro = admin ? '' : raw(' readonly');
  const dis = admin ? '' : raw(' disabled');
  const config = await attempt(async () => tenantScoringConfig(loadScoringConfig(), settings, p.tenantId));
  if (!config.ok)
    return html`<section aria-labelledby="h-thresholds"><h2 id="h-thresholds">Risk thresholds</h2>${errors}<p class="errors">${config.message}</p></section>`;
  const t = config.value.thresholds;
  const prior = RiskModel.shape.prior.safeParse((await s.app.store.models.active(p.tenantId))?.payload.prior);
  const base = prior.success ? baseLossRate(prior.data) : null;
  const b = scoreBounds(t, base ?? 1 - config.value.noHistoryWinRate);
  const ranges = `Low 0–${b.low}, Medium ${b.low + 1}–${b.medium}, High ${b.medium + 1}–${b.high}, Critical ${b.high + 1}–100`;
  const chk = (on: boolean) => (on ? raw(' checked') : '');
  return html`<section aria-labelledby="h-thresholds"><h2 id="h-thresholds">Risk thresholds</h2>
${errors}
<form method="post" action="/settings/thresholds" class="filters">${csrfField(p)}
<fieldset><legend>Categories are</legend>
<label class="check"><input type="radio" name="mode" value="relative" id="t-mode-relative"${chk(t.mode === 'relative')}${dis}> relative to your base rate (the average deal is Medium)</label>
<label class="check"><input type="radio" name="mode" value="fixed" id="t-mode-fixed"${chk(t.mode === 'fixed')}${dis}> fixed scores</label></fieldset>
<div><label for="t-r-low">Low up to (× the odds of loss)</label><input id="t-r-low" name="rLow" type="number" min="0.01" max="1000" step="0.01" value="${t.relative.low}"${ro}></div>
<div><label for="t-r-medium">Medium up to (×)</label><input id="t-r-medium" name="rMedium" type="number" min="0.01" max="1000" step="0.01" value="${t.relative.medium}"${ro}></div>
<div><label for="t-r-high">High up to (×)</label><input id="t-r-high" name="rHigh" type="number" min="0.01" max="1000" step="0.01" value="${t.relative.high}"${ro}></div>
<div><label for="t-low">Fixed: Low up to</label><input id="t-low" name="low" type="number" min="0" max="100" value="${t.low}"${ro}></div>
<div><label for="t-medium">Medium up to</label><input id="t-medium" name="medium" type="number" min="0" max="100" value="${t.medium}"${ro}></div>
<div><label for="t-high">High up to</label><input id="t-high" name="high" type="number" min="0" max="100" value="${t.high}"${ro}></div>
${admin ? html`<button type="submit">Save thresholds</button>` : ''}</form>
<p class="small" id="t-effective" data-mode="${t.mode}">${
    base === null
      ? html`No model yet, so no base rate: until one is trained, `
      : html`Base rate: ${Math.round(100 * base)}% of closed deals lost. `
  }${t.mode === 'relative' ? 'Relative' : 'Fixed'} thresholds give risk scores ${ranges}.</p>
<p class="small muted">Relative: a deal is Low while its odds of loss are at most ${t.relative.low}× those of a deal at the base rate, Medium up to ${t.relative.medium}×, High up to ${t.relative.high}×, Critical beyond; fixed: the risk score's own bounds, above “High up to” is Critical. Categories change on the next sync, for every deal at once.</p></section>`;
}

/**
 * Failed Slack and email deliveries among the latest: a refused or broken webhook shows here
 * with the reason (each failure is also on its delivery record), not only in the worker's logs.
 */
function deliveryFailures(list: Delivery[]): SafeHtml | '' {
  const failed = list.filter((d) => d.status === 'failed' || d.status === 'dead').slice(0, 10);
  if (failed.length === 0) return '';
  return html`<div class="errors" role="status" id="delivery-failures"><strong>Recent deliveries that failed</strong>
<table><thead><tr><th>Kind</th><th>Channel</th><th>Attempts</th><th>State</th><th>Reason</th></tr></thead><tbody>
${failed.map(
  (d) =>
    html`<tr><td>${d.kind}</td><td>${d.channel}</td><td class="num">${d.attempts}</td><td>${d.status === 'dead' ? 'given up' : html`retry at ${dateTime(d.nextAttemptAt)}`}</td><td class="small">${d.lastError ?? ''}</td></tr>`,
)}</tbody></table></div>`;
}

function keysSection(
  p: Principal,
  keys: Awaited<ReturnType<ServerContext['app']['store']['apiKeys']['list']>>,
  echo?: SettingsEcho,
): SafeHtml {
  return html`<section aria-labelledby="h-keys"><h2 id="h-keys">API keys</h2>
${echo?.newKey ? html`<div class="card" role="status"><p>Key <strong>${echo.newKey.name}</strong> created. Copy it now: it is shown only once.</p><p class="secret" id="new-key">${echo.newKey.secret}</p></div>` : ''}
${echo?.section === 'keys' && echo.errors?.length ? html`<div class="errors" role="alert">${echo.errors.join('; ')}</div>` : ''}
<form method="post" action="/settings/keys" class="filters">${csrfField(p)}
<div><label for="k-name">Name</label><input id="k-name" name="name" required maxlength="80" placeholder="e.g. BI export"></div>
<div><label for="k-role">Access</label><select id="k-role" name="role"><option value="read">Read-only</option><option value="admin">Admin</option></select></div>
<div><label for="k-rate">Requests per minute</label><input id="k-rate" name="rate" type="number" min="1" max="100000" value="600"></div>
<button type="submit" id="create-key">Create key</button></form>
<table><thead><tr><th>Name</th><th>Key</th><th>Access</th><th class="num">Per minute</th><th>Created</th><th>Last used</th><th></th></tr></thead><tbody>
${keys.map(
  (
    k,
  ) => html`<tr data-key="${k.name}"><td>${k.name}</td><td><code>${k.prefix}…</code></td><td>${k.role === 'admin' ? 'Admin' : 'Read-only'}</td><td class="num">${k.ratePerMinute}</td><td>${dateTime(k.createdAt)}<br><span class="small muted">${k.createdBy}</span></td><td>${dateTime(k.lastUsedAt)}</td>
  <td>${k.revokedAt ? html`Revoked ${dateTime(k.revokedAt)}` : html`<form method="post" action="/settings/keys/${k.id}/revoke" class="inline">${csrfField(p)}<button class="danger" type="submit">Revoke</button></form>`}</td></tr>`,
)}</tbody></table></section>`;
}

function membersSection(p: Principal, users: Awaited<ReturnType<ServerContext['app']['store']['users']['list']>>): SafeHtml {
  return html`<section aria-labelledby="h-people"><h2 id="h-people">People</h2>
<p class="small muted">Anyone in your CRM org or portal can sign in and read; admins change settings, keys and connections.</p>
<table><thead><tr><th>Name</th><th>Email</th><th>Last sign-in</th><th>Role</th></tr></thead><tbody>
${users.map(
  (u) => html`<tr><td>${u.name ?? u.crmUserId}</td><td>${u.email ?? '—'}</td><td>${dateTime(u.lastLoginAt)}</td>
  <td><form method="post" action="/settings/people/${u.id}/role" class="inline">${csrfField(p)}<select name="role" aria-label="Role of ${u.name ?? u.crmUserId}"><option value="viewer"${sel(u.role === 'viewer')}>Viewer</option><option value="admin"${sel(u.role === 'admin')}>Admin</option></select> <button type="submit" class="secondary">Change</button></form></td></tr>`,
)}</tbody></table></section>`;
}

export function settingsPage(s: ServerContext, router: Router): void {
  router.get(
    '/settings',
    pageRoute(s, async ({ req, p }) => {
      const src = q1(req.query.source);
      const source = src === 'hubspot' || src === 'salesforce' ? src : undefined;
      return { title: 'Settings', active: '/settings', body: await renderSettings(s, p, { ...(source ? { source } : {}) }) };
    }),
  );
  settingsActions(s, router);
}
