import type { Request, Router } from 'express';
import { parse as parseYaml } from 'yaml';
import { AppError, isAppError } from '../../core/errors.ts';
import { parseScoringConfig, scoringChangedPatch } from '../../core/scoring/config.ts';
import { PrivateHostAllowList } from '../../net/public-address.ts';
import { webhookUrlProblem } from '../../net/webhook-post.ts';
import { forecastSettings } from '../../scoring/forecast.ts';
import { loadSyncConfig, tenantSyncConfig } from '../../sync/config.ts';
import { createApiKey } from '../auth/api-key.ts';
import type { Principal } from '../auth/principal.ts';
import type { ServerContext } from '../context.ts';
import { assertAdmin, pageRoute, redirectWith } from './common.ts';
import { renderSettings, type SettingsEcho } from './settings.ts';
import { mappingActions } from './settings-mapping-actions.ts';

const field = (req: Request, name: string): string => {
  const v = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
};

/** Error lines for the page: one per key path when the error lists them. */
function errorLines(e: unknown): string[] {
  if (!isAppError(e)) throw e;
  const issues = e.details.issues as Array<{ path: string; message: string }> | undefined;
  return issues?.length ? issues.map((i) => `${i.path || '(root)'}: ${i.message}`) : [e.message];
}

/**
 * The thresholds a form posted, over the ones saved: a posted mode (a form without one posts score
 * bounds, which are fixed), the fixed bounds and the relative multiples that were filled in.
 */
function postedThresholds(req: Request, saved: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = saved && typeof saved === 'object' ? { ...(saved as Record<string, unknown>) } : {};
  const num = (name: string): number | undefined => (field(req, name).trim() === '' ? undefined : Number(field(req, name)));
  out.mode = field(req, 'mode') === 'relative' ? 'relative' : 'fixed';
  for (const k of ['low', 'medium', 'high'] as const) if (num(k) !== undefined) out[k] = num(k);
  const relative = { ...((out.relative as Record<string, unknown> | undefined) ?? {}) };
  for (const [k, name] of [
    ['low', 'rLow'],
    ['medium', 'rMedium'],
    ['high', 'rHigh'],
  ] as const)
    if (num(name) !== undefined) relative[k] = num(name);
  if (Object.keys(relative).length) out.relative = relative;
  return out;
}

export function settingsActions(s: ServerContext, router: Router): void {
  const { store } = s.app;
  const again = async (p: Principal, echo: SettingsEcho, status = 400) => ({
    title: 'Settings',
    active: '/settings',
    status,
    body: await renderSettings(s, p, { echo }),
  });

  mappingActions(s, router, (p, source, mapping, status = 400) => again(p, { section: 'mapping', source, mapping }, status));

  router.post(
    '/settings/playbook',
    pageRoute(s, async ({ req, res, p }) => {
      assertAdmin(p);
      const text = field(req, 'playbook');
      try {
        await s.deps.scoring.playbook.save(p.tenantId, parseYaml(text), p.label);
      } catch (e) {
        const lines = e instanceof Error && e.name === 'YAMLParseError' ? [`not valid YAML: ${e.message.split('\n')[0]}`] : errorLines(e);
        return again(p, { section: 'playbook', text, errors: lines });
      }
      await store.audit.add(p.tenantId, { actor: p.label, action: 'playbook.updated' }, s.app.now());
      redirectWith(res, '/settings#h-playbook', 'ok', 'Playbook saved; actions follow it from the next scoring.');
    }),
  );

  router.post(
    '/settings/thresholds',
    pageRoute(s, async ({ req, res, p }) => {
      assertAdmin(p);
      const tenant = await store.tenants.get(p.tenantId);
      const current = (tenant?.settings.scoring ?? {}) as Record<string, unknown>;
      const thresholds = postedThresholds(req, current.thresholds);
      const scoring = { ...current, thresholds };
      try {
        parseScoringConfig(scoring, 'thresholds');
      } catch (e) {
        return again(p, { section: 'thresholds', errors: errorLines(e).map((l) => l.replace(/^thresholds: /, '')) });
      }
      await store.tenants.updateSettings(p.tenantId, { scoring, ...scoringChangedPatch(s.app.now()) });
      await store.audit.add(p.tenantId, { actor: p.label, action: 'thresholds.updated', details: thresholds }, s.app.now());
      redirectWith(res, '/settings#h-thresholds', 'ok', 'Thresholds saved; every open deal gets its category from them on the next sync.');
    }),
  );

  router.post(
    '/settings/forecast',
    pageRoute(s, async ({ req, res, p }) => {
      assertAdmin(p);
      const raw = field(req, 'fiscalYearStartMonth').trim();
      // Blank or not a number is an error, not January.
      const forecast = { fiscalYearStartMonth: raw === '' ? Number.NaN : Number(raw) };
      try {
        forecastSettings({ forecast }, p.tenantId);
      } catch (e) {
        return again(p, { section: 'forecast', errors: errorLines(e).map((l) => l.replace(/^tenant \S+ /, '')) });
      }
      await store.tenants.updateSettings(p.tenantId, { forecast });
      await store.audit.add(p.tenantId, { actor: p.label, action: 'forecast.updated', details: forecast }, s.app.now());
      redirectWith(res, '/settings#h-forecast', 'ok', 'Fiscal year saved; the forecast follows its quarters from now on.');
    }),
  );

  router.post(
    '/settings/alerts',
    pageRoute(s, async ({ req, res, p }) => {
      assertAdmin(p);
      const tenant = await store.tenants.get(p.tenantId);
      const current = (tenant?.settings.sync ?? {}) as { alerts?: Record<string, unknown>; digest?: Record<string, unknown> };
      const slack = field(req, 'slackWebhookUrl').trim();
      const qs = field(req, 'quietStart').trim();
      const qe = field(req, 'quietEnd').trim();
      const tz = field(req, 'timezone').trim() || 'UTC';
      const emails = field(req, 'adminEmails')
        .split(/[,\s]+/)
        .filter(Boolean);
      const sync = {
        ...current,
        alerts: {
          ...(current.alerts ?? {}),
          threshold: Number(field(req, 'threshold')),
          quietHours: qs || qe ? { start: qs, end: qe } : null,
          timezone: tz,
          ...(slack ? { slackWebhookUrl: slack } : {}),
        },
        digest: {
          ...(current.digest ?? {}),
          localTime: field(req, 'digestTime').trim(),
          timezone: tz,
          adminEmails: emails,
          ...(slack ? { slackWebhookUrl: slack } : {}),
        },
      };
      // Where the URL may lead is the deployment's rule (https to public addresses); the worker
      // checks the addresses it resolves to again at every send.
      const slackProblem = slack ? webhookUrlProblem(slack, new PrivateHostAllowList(s.app.env.SLACK_ALLOW_PRIVATE_HOSTS)) : null;
      try {
        tenantSyncConfig(loadSyncConfig(), { id: p.tenantId, settings: { sync } });
      } catch (e) {
        const lines = errorLines(e).map((l) => l.replace(/^tenant \S+ settings\.sync: /, ''));
        return again(p, {
          section: 'alerts',
          errors: slackProblem ? [`slackWebhookUrl: ${slackProblem}`, ...lines.filter((l) => !l.includes('slackWebhookUrl'))] : lines,
        });
      }
      if (slackProblem) return again(p, { section: 'alerts', errors: [`slackWebhookUrl: ${slackProblem}`] });
      await store.tenants.updateSettings(p.tenantId, { sync });
      await store.audit.add(
        p.tenantId,
        { actor: p.label, action: 'alerts.updated', details: { threshold: sync.alerts.threshold, slack: Boolean(slack) } },
        s.app.now(),
      );
      redirectWith(res, '/settings#h-alerts', 'ok', 'Alert and digest settings saved.');
    }),
  );

  router.post(
    '/settings/keys',
    pageRoute(s, async ({ req, p }) => {
      assertAdmin(p);
      const slow = s.limiter.take(`keycreate:${p.id}`, 10);
      if (!slow.ok) throw new AppError('rate_limited', 'too many keys created in a minute', { retryAfterMs: slow.retryAfterMs });
      const name = field(req, 'name').trim();
      const rate = Number(field(req, 'rate') || s.config.keyRatePerMinute);
      const role = field(req, 'role') === 'admin' ? 'admin' : 'read';
      const problems = [
        ...(name.length < 1 || name.length > 80 ? ['name: give the key a name of 1 to 80 characters'] : []),
        ...(!Number.isInteger(rate) || rate < 1 || rate > 100_000 ? ['requests per minute: a whole number from 1 to 100000'] : []),
      ];
      if (problems.length) return again(p, { section: 'keys', errors: problems });
      const { key, secret } = await createApiKey(store, p.tenantId, { name, role, ratePerMinute: rate, createdBy: p.label }, s.app.now());
      await store.audit.add(
        p.tenantId,
        { actor: p.label, action: 'api_key.created', target: key.id, details: { name, role, prefix: key.prefix } },
        s.app.now(),
      );
      // Rendered, not redirected: the secret must not travel in a URL or be shown twice.
      return again(p, { section: 'keys', newKey: { name, secret } }, 201);
    }),
  );

  router.post(
    '/settings/keys/:id/revoke',
    pageRoute(s, async ({ req, res, p }) => {
      assertAdmin(p);
      const id = String(req.params.id);
      const key = await store.apiKeys.get(p.tenantId, id);
      if (!key) throw new AppError('not_found', 'no such API key in this workspace');
      await store.apiKeys.revoke(p.tenantId, id, s.app.now());
      s.invalidateKeys();
      await store.audit.add(
        p.tenantId,
        { actor: p.label, action: 'api_key.revoked', target: id, details: { name: key.name, prefix: key.prefix } },
        s.app.now(),
      );
      redirectWith(res, '/settings#h-keys', 'ok', `Key ${key.name} revoked; it stops working at once.`);
    }),
  );

  router.post(
    '/settings/people/:id/role',
    pageRoute(s, async ({ req, res, p }) => {
      assertAdmin(p);
      const id = String(req.params.id);
      const role = field(req, 'role') === 'admin' ? 'admin' : 'viewer';
      const user = await store.users.get(p.tenantId, id);
      if (!user) throw new AppError('not_found', 'no such person in this workspace');
      if (role === 'viewer' && user.role === 'admin' && (await store.users.countAdmins(p.tenantId)) <= 1) {
        return redirectWith(res, '/settings#h-people', 'error', 'A workspace needs at least one admin: make someone else admin first.');
      }
      await store.users.setRole(p.tenantId, id, role);
      if (role !== user.role) await store.sessions.removeForUser(p.tenantId, id);
      await store.audit.add(
        p.tenantId,
        { actor: p.label, action: 'user.role_changed', target: id, details: { from: user.role, to: role } },
        s.app.now(),
      );
      redirectWith(res, '/settings#h-people', 'ok', `${user.name ?? user.crmUserId} is now ${role === 'admin' ? 'an admin' : 'a viewer'}.`);
    }),
  );
}
