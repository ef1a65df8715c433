import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { ScoringService } from '../../src/scoring/service.ts';
import { loadSyncConfig } from '../../src/sync/config.ts';
import { trainAndGate } from '../../src/sync/train-and-gate.ts';
import { insertScores } from '../helpers/scores.ts';
import type { TestStore } from '../helpers/store.ts';
import { deal, NOW, scoreOf } from '../integration/server/harness.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
export const ARTIFACTS = path.resolve('test-artifacts/screenshots');
export const DOCS_SHOTS = path.resolve('docs/screenshots');

export async function launch(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-gpu'],
  });
}

/** Saves a screenshot as a test artifact; with UPDATE_SCREENSHOTS=1 also as the README's copy. */
export async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.UPDATE_SCREENSHOTS === '1') {
    mkdirSync(DOCS_SHOTS, { recursive: true });
    copyFileSync(file, path.join(DOCS_SHOTS, `${name}.png`));
  }
}

/**
 * A CRM consent page for the browser: it shows who is signing in and an Allow button that sends
 * the browser back to our callback with a code, as Salesforce and HubSpot do.
 */
export async function startConsentServer(
  who: () => { org: string; user: string; name: string },
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname.endsWith('/authorize')) {
      const w = who();
      const code = `org:${w.org}|user:${w.user}|name:${w.name}`;
      const back = `${u.searchParams.get('redirect_uri')}?code=${encodeURIComponent(code)}&state=${encodeURIComponent(u.searchParams.get('state') ?? '')}`;
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><title>Allow Access?</title><h1>Allow access?</h1><p>${w.name} (${w.org}) is connecting dealrisk.</p>
        <a id="allow" href="${back.replace(/"/g, '&quot;')}">Allow</a> <a id="deny" href="${u.searchParams.get('redirect_uri')}?error=access_denied&state=${encodeURIComponent(u.searchParams.get('state') ?? '')}">Deny</a>`);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const OWNERS = [
  ['o1', 'Ada Lovelace'],
  ['o2', 'Grace Hopper'],
  ['o3', 'Alan Turing'],
] as const;
const SEGMENTS = ['SaaS', 'Retail', 'EdTech', 'Healthcare'];

/**
 * A pipeline with history: 900 closed deals whose outcomes depend on segment, source and amount
 * (plus noise), and 60 open ones; the real scoring service trains on the former and scores the
 * latter, so every page shows figures the product computed.
 */
export async function seedRealPipeline(t: TestStore, tenantId: string, service: ScoringService): Promise<void> {
  let seed = 11;
  const r = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  const SOURCES = ['Web', 'Partner', 'Outbound', 'Event'];
  const make = (i: number, status: 'open' | 'won' | 'lost' | 'closed') => {
    const [ownerId, ownerName] = OWNERS[i % OWNERS.length]!;
    const industry = SEGMENTS[Math.floor(r() * SEGMENTS.length)]!;
    const leadSource = SOURCES[Math.floor(r() * SOURCES.length)]!;
    const amount = Math.round(5_000 + r() ** 2 * 150_000);
    const created = new Date(NOW.getTime() - (20 + Math.floor(r() * 600)) * 86_400_000);
    let outcome = status;
    if (status === 'closed') {
      const p =
        0.72 -
        (leadSource === 'Partner' ? 0.4 : 0) -
        (industry === 'EdTech' ? 0.3 : 0) -
        (amount > 90_000 ? 0.25 : 0) +
        (created.getTime() < NOW.getTime() - 300 * 86_400_000 ? 0.08 : -0.08);
      outcome = r() < p ? 'won' : 'lost';
    }
    const closedAt =
      outcome === 'open'
        ? null
        : new Date(Math.min(NOW.getTime() - 86_400_000, created.getTime() + (15 + Math.floor(r() * 120)) * 86_400_000));
    return deal(tenantId, {
      externalId: `006${String(i).padStart(4, '0')}`,
      name: `${['Northwind', 'Contoso', 'Globex', 'Initech', 'Umbrella', 'Hooli'][i % 6]} ${['renewal', 'expansion', 'pilot', 'platform'][i % 4]} ${i}`,
      amount,
      stage:
        outcome === 'open'
          ? { label: ['Qualify', 'Proposal', 'Negotiation'][i % 3]!, status: 'open', order: i % 3 }
          : { label: outcome === 'won' ? 'Closed Won' : 'Closed Lost', status: outcome as 'won' | 'lost', order: 5 },
      owner: { id: ownerId, name: ownerName },
      account: { id: `a${i}`, name: `Account ${i}`, industry, region: null, country: null, size: null },
      leadSource,
      createdAt: created,
      closedAt,
    });
  };
  const deals = [
    ...Array.from({ length: 900 }, (_, i) => make(i, 'closed')),
    ...Array.from({ length: 60 }, (_, i) => make(900 + i, 'open')),
  ];
  await t.store.deals.upsertMany(
    tenantId,
    deals.map((d) => ({
      deal: d,
      raw: {
        Id: d.externalId,
        Name: d.name,
        Amount: d.amount,
        IsClosed: d.stage.status !== 'open',
        IsWon: d.stage.status === 'won',
        StageName: d.stage.label,
      },
    })),
    NOW,
  );
  // Two versions for the model page's history and rollback: the second is forced past the gate.
  const train = (at: Date) =>
    trainAndGate({ store: t.store, scorer: service }, tenantId, at, { reason: 'manual', retrain: loadSyncConfig().retrain, force: true });
  await train(new Date(NOW.getTime() - 30 * 86_400_000));
  await train(NOW);
  await service.scoreOpenDeals(tenantId, NOW, { persist: true });
}

/** Twenty-four open deals across categories, owners and segments, scored, for the pages. */
export async function seedPipeline(t: TestStore, tenantId: string): Promise<void> {
  const deals = Array.from({ length: 24 }, (_, i) => {
    const [ownerId, ownerName] = OWNERS[i % OWNERS.length]!;
    return deal(tenantId, {
      externalId: `006${String(i).padStart(3, '0')}`,
      name: `${['Northwind', 'Contoso', 'Globex', 'Initech', 'Umbrella', 'Hooli'][i % 6]} ${['renewal', 'expansion', 'pilot', 'platform'][i % 4]} ${i}`,
      amount: 5_000 + ((i * 7919) % 120) * 1_000,
      owner: { id: ownerId, name: ownerName },
      account: { id: `a${i}`, name: `Account ${i}`, industry: SEGMENTS[i % SEGMENTS.length]!, region: null, country: null, size: null },
      createdAt: new Date(NOW.getTime() - (10 + ((i * 37) % 200)) * 86_400_000),
    });
  });
  await t.store.deals.upsertMany(
    tenantId,
    deals.map((d) => ({
      deal: d,
      raw: { Id: d.externalId, Name: d.name, Amount: d.amount, IsClosed: false, IsWon: false, StageName: 'Proposal' },
    })),
    NOW,
  );
  await insertScores(
    t.store,
    tenantId,
    deals.map((d, i) => {
      const score = (i * 41) % 100;
      const cat = score > 75 ? 'Critical' : score > 50 ? 'High' : score > 25 ? 'Medium' : 'Low';
      return scoreOf(d.externalId, score, cat);
    }),
  );
  await t.store.models.save(tenantId, { status: 'ok', trainedAt: new Date('2026-11-01T00:00:00Z'), payload: {}, report: {} }, true);
  await t.store.models.save(tenantId, { status: 'ok', trainedAt: new Date('2026-11-20T00:00:00Z'), payload: {}, report: {} }, true);
}
