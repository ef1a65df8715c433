import { AppError, isAppError } from '../../src/core/errors.ts';
import type { WriteBack } from '../../src/mapping/schema.ts';
import type { ConnectorLogger, DealUpdate, RecordFailure, RiskFields, WriteResult } from '../types.ts';
import type { HubSpotApi } from './api.ts';
import { BatchReply, failureFrom, failuresByKey, isMissingProperty, isRecordLevel, unattributedFailure } from './batch-result.ts';
import { BATCH_SIZE, chunk } from './batching.ts';
import { clip } from './text-limit.ts';

/**
 * Risk values as HubSpot wants them: every value a string; numbers without separators; the
 * category exactly one of the enumeration's option values; datetimes ISO 8601 UTC. Win
 * probability is written as a percentage (0-100, one decimal) so reps read "31.5", not "0.315".
 */
export function riskProperties(f: RiskFields, names: WriteBack['fields']): Record<string, string> {
  return {
    [names.score]: String(Math.round(f.score)),
    [names.category]: f.category,
    [names.winProbability]: String(Math.round(f.winProbability * 1000) / 10),
    [names.drivers]: clip(f.drivers),
    [names.action]: clip(f.action),
    [names.scoredAt]: f.scoredAt.toISOString(),
    [names.modelStatus]: f.modelStatus,
  };
}

interface Input {
  id: string;
  properties: Record<string, string>;
}

const NO_RESULT: RecordFailure = {
  code: 'NO_RESULT',
  message: 'HubSpot returned neither a result nor an error for this deal',
  retryable: true,
};

async function sendBatch(api: HubSpotApi, inputs: Input[], log: ConnectorLogger): Promise<Map<string, RecordFailure | null>> {
  const out = new Map<string, RecordFailure | null>();
  try {
    // Raw request: the SDK's 200-response model has no `errors`, which dated API versions use.
    const r = await api.raw(
      { budget: 'standard', op: 'batch update deals', idempotent: true },
      { method: 'POST', path: '/crm/v3/objects/deals/batch/update', body: { inputs } },
    );
    const reply = BatchReply.parse(r.data);
    const failed = failuresByKey(reply, 'ids');
    const done = new Set(reply.results.map((x) => x.id));
    const orphan = unattributedFailure(reply);
    for (const i of inputs) out.set(i.id, failed.get(i.id) ?? (done.has(i.id) ? null : (orphan ?? NO_RESULT)));
    return out;
  } catch (e) {
    if (!isAppError(e)) throw e;
    if (isMissingProperty(e)) {
      throw new AppError('config_invalid', `${e.message} (create the risk properties with the connector's setup, e.g. on install)`, {
        cause: e,
      });
    }
    if (isRecordLevel(e) && inputs.length > 1) {
      // The whole batch was refused for something one record carries: halve until it is isolated.
      log.info('hubspot batch update refused, bisecting', { size: inputs.length, code: e.code });
      const mid = Math.ceil(inputs.length / 2);
      for (const half of [inputs.slice(0, mid), inputs.slice(mid)]) for (const [k, v] of await sendBatch(api, half, log)) out.set(k, v);
      return out;
    }
    if (isRecordLevel(e) || e.code === 'crm_unavailable') {
      // One record refused, or HubSpot still failing after our retries: report, do not stop the sync.
      for (const i of inputs) out.set(i.id, failureFrom(e));
      return out;
    }
    throw e; // auth, scopes, quota: the whole run must stop and say why
  }
}

/** Batched risk write-back: 100 deals a call, one WriteResult per update, in input order. */
export async function writeRiskFields(
  api: HubSpotApi,
  names: WriteBack['fields'],
  updates: DealUpdate[],
  log: ConnectorLogger,
): Promise<WriteResult[]> {
  // HubSpot refuses a batch naming one id twice; the last update for a deal wins.
  const latest = new Map<string, Input>();
  for (const u of updates) latest.set(u.externalId, { id: u.externalId, properties: riskProperties(u.fields, names) });
  const outcome = new Map<string, RecordFailure | null>();
  for (const part of chunk([...latest.values()], BATCH_SIZE)) for (const [k, v] of await sendBatch(api, part, log)) outcome.set(k, v);
  return updates.map((u) => {
    const failure = outcome.get(u.externalId);
    return failure ? { externalId: u.externalId, ok: false, error: failure } : { externalId: u.externalId, ok: true };
  });
}
