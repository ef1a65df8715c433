import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { dealProperties } from '../../../connectors/hubspot/connector.ts';
import { enrichmentNeeds } from '../../../connectors/hubspot/enrich.ts';
import { buildStageMap } from '../../../connectors/hubspot/pipelines.ts';
import { dealInputHash } from '../../../src/core/deal-hash.ts';
import { parseMapping, sourcePaths } from '../../../src/mapping/schema.ts';
import { compileMapping } from '../../../src/mapping/to-deal.ts';

const path = new URL('../../../mappings/hubspot.yaml', import.meta.url);
const mapping = parseMapping(parseYaml(readFileSync(path, 'utf8')), 'mappings/hubspot.yaml');
const pipelines = JSON.parse(
  readFileSync(new URL('../../../../shared/contracts/hubspot/samples-nango-recorded/fetch-pipelines.test.json', import.meta.url), 'utf8'),
).api.get['/crm/v3/pipelines/deals'].response.results;
const stages = buildStageMap(pipelines);
/** The recorded update-deal response: a real deal's properties, all strings. */
const recordedDeal = JSON.parse(
  readFileSync(new URL('../../../../shared/contracts/hubspot/samples-nango-recorded/update-deal.test.json', import.meta.url), 'utf8'),
).api.patch['/crm/v3/objects/deals/493593663734'].response;

function raw(props: Record<string, string | null>) {
  const stage = stages.get(props.dealstage ?? '') ?? null;
  return {
    id: props.hs_object_id!,
    data: {
      ...props,
      _derived: { stage, closedAt: stage && stage.status !== 'open' ? props.closedate : null, stageHistory: [], closeDatePushes: 0 },
    },
  };
}

describe('mappings/hubspot.yaml', () => {
  it('loads through the mapping schema with a writeBack section naming every risk property', () => {
    expect(mapping.source).toBe('hubspot');
    expect(mapping.writeBack).toMatchObject({ object: 'deals', group: 'deal_risk', tasks: { enabled: true, keyField: 'risk_task_key' } });
    expect(Object.values(mapping.writeBack!.fields)).toEqual([
      'risk_score',
      'risk_category',
      'risk_win_probability',
      'risk_drivers',
      'risk_recommended_action',
      'risk_scored_at',
      'risk_model_status',
    ]);
  });

  it('reads the documented deal properties and nothing under _derived from HubSpot', () => {
    const props = dealProperties(mapping);
    for (const p of [
      'amount',
      'dealname',
      'dealstage',
      'pipeline',
      'closedate',
      'createdate',
      'hubspot_owner_id',
      'dealtype',
      'hs_analytics_source',
      'num_associated_contacts',
      'notes_last_contacted',
      'num_contacted_notes',
      'hs_deal_stage_probability',
      'hs_lastmodifieddate',
      'hs_next_step',
    ]) {
      expect(props).toContain(p);
    }
    expect(sourcePaths(mapping).some((p) => p.startsWith('_derived'))).toBe(false);
    expect(props).not.toContain('risk_score');
    expect(enrichmentNeeds(mapping)).toEqual({ history: true, companies: true, owners: true });
  });

  it('maps a recorded HubSpot deal with stage status from pipeline metadata', () => {
    const r = compileMapping(mapping)(raw(recordedDeal.properties), { tenantId: 't1' });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.deal).toMatchObject({
      externalId: '493593663734',
      name: 'Updated Test Deal',
      amount: 15000,
      stage: { label: 'Qualified To Buy', status: 'open', order: 1 },
      pipeline: 'Sales Pipeline',
      crmProbability: 0.4,
      closedAt: null,
    });
    expect(r.deal.expectedCloseDate?.toISOString()).toBe('2026-12-31T00:00:00.000Z');
  });

  it("takes a closed deal's close date as closedAt and reads lost from metadata, not the label", () => {
    const renamed = buildStageMap(
      pipelines.map((p: { stages: Array<{ id: string; label: string }> }) => ({
        ...p,
        stages: p.stages.map((s) => (s.id === 'closedlost' ? { ...s, label: 'Won elsewhere' } : s)),
      })),
    );
    const props = { ...recordedDeal.properties, dealstage: 'closedlost' };
    const input = {
      id: props.hs_object_id,
      data: { ...props, _derived: { stage: renamed.get('closedlost'), closedAt: props.closedate, stageHistory: [] } },
    };
    const r = compileMapping(mapping)(input, { tenantId: 't1' });
    if (!r.ok) throw new Error(JSON.stringify(r.error));
    expect(r.deal.stage).toMatchObject({ status: 'lost', label: 'Won elsewhere' });
    expect(r.deal.closedAt?.toISOString()).toBe('2026-12-31T00:00:00.000Z');
  });

  it('maps dealtype newbusiness to new and existingbusiness to expansion, unknown types to null', () => {
    const m = compileMapping(mapping);
    const t = (v: string) => {
      const r = m(raw({ ...recordedDeal.properties, dealtype: v }), { tenantId: 't' });
      return r.ok ? r.deal.dealType : r.error;
    };
    expect([t('newbusiness'), t('existingbusiness'), t('renewal'), t('partner_referral')]).toEqual(['new', 'expansion', 'renewal', null]);
  });

  it('maps the echo of our own write to the same input hash', () => {
    const m = compileMapping(mapping);
    const before = m(raw(recordedDeal.properties), { tenantId: 't' });
    const echoed = m(
      raw({
        ...recordedDeal.properties,
        hs_lastmodifieddate: '2026-03-12T09:00:00.000Z',
        risk_score: '72',
        risk_category: 'High',
        risk_scored_at: '2026-03-12T09:00:00.000Z',
      }),
      { tenantId: 't' },
    );
    const edited = m(raw({ ...recordedDeal.properties, amount: '16000' }), { tenantId: 't' });
    if (!before.ok || !echoed.ok || !edited.ok) throw new Error('mapping failed');
    expect(echoed.deal.modifiedAt).not.toEqual(before.deal.modifiedAt);
    expect(dealInputHash(echoed.deal)).toBe(dealInputHash(before.deal));
    expect(dealInputHash(edited.deal)).not.toBe(dealInputHash(before.deal));
  });
});
