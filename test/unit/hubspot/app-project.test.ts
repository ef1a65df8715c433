import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BACKEND_URL, CARD_DATA_PATH as CARD_PATH_IN_CARD } from '../../../connectors/hubspot/app/src/app/cards/backend.ts';
import { CARD_DATA_PATH, WEBHOOK_PATH } from '../../../connectors/hubspot/http-handlers.ts';
import { HUBSPOT_OPTIONAL_SCOPES, HUBSPOT_SCOPES } from '../../../connectors/hubspot/oauth.ts';

const root = new URL('../../../connectors/hubspot/app/', import.meta.url);
const json = (rel: string) => JSON.parse(readFileSync(new URL(rel, root), 'utf8'));

describe('HubSpot developer-platform project (connectors/hubspot/app)', () => {
  const project = json('hsproject.json');
  const app = json('src/app/app-hsmeta.json');
  const card = json('src/app/cards/deal-risk-card-hsmeta.json');
  const hooks = json('src/app/webhooks/webhooks-hsmeta.json');

  it('parses, with one app component and uids unique in the project', () => {
    expect(project).toMatchObject({ srcDir: 'src', platformVersion: '2025.2' });
    const metas = [app, card, hooks];
    expect(metas.map((m) => m.type)).toEqual(['app', 'card', 'webhooks']);
    expect(new Set(metas.map((m) => m.uid)).size).toBe(3);
    for (const dir of ['src/app', 'src/app/cards', 'src/app/webhooks']) {
      expect(readdirSync(new URL(dir, root)).some((f) => f.endsWith('-hsmeta.json'))).toBe(true);
    }
  });

  it('declares exactly the scopes the install URL asks for (HubSpot fails installs on undeclared scopes)', () => {
    expect(app.config.auth.type).toBe('oauth');
    expect(app.config.auth.requiredScopes).toEqual([...HUBSPOT_SCOPES]);
    expect(app.config.auth.optionalScopes).toEqual([...HUBSPOT_OPTIONAL_SCOPES]);
    expect(app.config.auth.redirectUrls.every((u: string) => u.endsWith('/oauth/hubspot/callback'))).toBe(true);
  });

  it('lets the card fetch only our backend, at the path the backend serves', () => {
    expect(app.config.permittedUrls.fetch).toEqual([BACKEND_URL]);
    expect(CARD_PATH_IN_CARD).toBe(CARD_DATA_PATH);
    const source = readFileSync(new URL('src/app/cards/DealRiskCard.tsx', root), 'utf8');
    expect(source).toMatch(/hubspot\s*\.fetch\(`\$\{BACKEND_URL\}\$\{CARD_DATA_PATH\}\?dealId=/);
  });

  it('places the card on deal records with an entrypoint that exists', () => {
    expect(card.config.objectTypes).toEqual(['deals']);
    expect(existsSync(new URL(`src${card.config.entrypoint}`, root))).toBe(true);
  });

  it('sends deal change and deletion webhooks to the endpoint the backend serves', () => {
    expect(hooks.config.settings.targetUrl).toBe(`${BACKEND_URL}${WEBHOOK_PATH}`);
    const types = hooks.config.subscriptions.legacyCrmObjects.map((s: { subscriptionType: string }) => s.subscriptionType);
    expect(types).toEqual(expect.arrayContaining(['deal.propertyChange', 'deal.deletion']));
    // Our own risk_* writes must not come back as webhooks (they would trigger rescoring loops).
    const watched = hooks.config.subscriptions.legacyCrmObjects.map((s: { propertyName?: string }) => s.propertyName ?? '');
    expect(watched.some((p: string) => p.startsWith('risk_'))).toBe(false);
  });
});
