import { isAppError } from '../../src/core/errors.ts';
import type { WriteBack } from '../../src/mapping/schema.ts';
import type { SetupReport } from '../types.ts';
import type { HubSpotApi } from './api.ts';
import { info } from './batching.ts';

export interface PropertySpec {
  name: string;
  label: string;
  /** HubSpot validates type/fieldType pairs: number↔number, enumeration↔select, string↔text/textarea, datetime↔date. */
  type: 'number' | 'enumeration' | 'string' | 'datetime';
  fieldType: 'number' | 'select' | 'text' | 'textarea' | 'date';
  description: string;
  options?: Array<{ label: string; value: string; displayOrder: number; hidden: boolean }>;
}

export const CATEGORIES = ['Low', 'Medium', 'High', 'Critical'] as const;
export const DEFAULT_GROUP = 'deal_risk';

/** The deal properties the writeBack section names, with valid type/fieldType pairs. */
export function riskPropertySpecs(names: WriteBack['fields']): PropertySpec[] {
  return [
    {
      name: names.score,
      label: 'Risk score',
      type: 'number',
      fieldType: 'number',
      description: 'Deal-loss risk, 0 (safe) to 100 (likely lost), from dealrisk.',
    },
    {
      name: names.category,
      label: 'Risk category',
      type: 'enumeration',
      fieldType: 'select',
      description: 'Low 0-25, Medium 26-50, High 51-75, Critical 76-100.',
      options: CATEGORIES.map((c, i) => ({ label: c, value: c, displayOrder: i, hidden: false })),
    },
    {
      name: names.winProbability,
      label: 'Risk: win probability (%)',
      type: 'number',
      fieldType: 'number',
      description: "The model's calibrated chance of winning this deal, in percent.",
    },
    {
      name: names.drivers,
      label: 'Risk drivers',
      type: 'string',
      fieldType: 'textarea',
      description: 'Why this deal scores as it does: its top drivers, in plain words.',
    },
    {
      name: names.action,
      label: 'Risk: recommended action',
      type: 'string',
      fieldType: 'textarea',
      description: 'What to do next about this deal.',
    },
    {
      name: names.scoredAt,
      label: 'Risk scored at',
      type: 'datetime',
      fieldType: 'date',
      description: 'When dealrisk last scored this deal.',
    },
    {
      name: names.modelStatus,
      label: 'Risk model status',
      type: 'string',
      fieldType: 'text',
      description: 'ok, experimental or no_signal: how far the score can be trusted.',
    },
  ];
}

/** The read's result, or null when HubSpot answers 404. */
async function orNull<T>(read: () => Promise<T>): Promise<T | null> {
  try {
    return await read();
  } catch (e) {
    if (isAppError(e, 'crm_not_found')) return null;
    throw e;
  }
}

/**
 * Creates the deal property group and risk properties that are missing; reuses what exists (409
 * CONFLICT counts as existing); warns on mismatches. Follow-up tasks need nothing set up: their
 * key rides in the task body (tasks.ts), so setup never touches task properties.
 */
export async function setupProperties(api: HubSpotApi, wb: WriteBack): Promise<SetupReport> {
  const report: SetupReport = { created: [], existing: [], warnings: [] };
  const group = wb.group ?? DEFAULT_GROUP;
  const std = (op: string, idempotent = true) => ({ budget: 'standard' as const, op, idempotent });

  const createOrConflict = async (label: string, create: () => Promise<unknown>): Promise<void> => {
    try {
      await create();
      report.created.push(label);
    } catch (e) {
      if (!isAppError(e, 'conflict')) throw e;
      report.existing.push(label);
    }
  };

  const g = await orNull(() =>
    api.call(std('read property group'), async (c) => info(await c.crm.properties.groupsApi.getByNameWithHttpInfo('deals', group))),
  );
  if (g) report.existing.push(`deals group ${group}`);
  else
    await createOrConflict(`deals group ${group}`, () =>
      api.call(std('create property group', false), async (c) =>
        info(await c.crm.properties.groupsApi.createWithHttpInfo('deals', { name: group, label: 'Deal Risk', displayOrder: -1 })),
      ),
    );

  const all = await api.call(std('read deal properties'), async (c) =>
    info(await c.crm.properties.coreApi.getAllWithHttpInfo('deals', false)),
  );
  const have = new Map(all.data.results.map((p) => [p.name, p]));
  for (const spec of riskPropertySpecs(wb.fields)) {
    const label = `deals.${spec.name}`;
    const found = have.get(spec.name);
    if (found) {
      report.existing.push(label);
      if (found.type !== spec.type)
        report.warnings.push(`${label} exists as type ${found.type}, expected ${spec.type}: writes may be refused`);
      if (spec.options) {
        const values = new Set((found.options ?? []).map((o) => o.value));
        const missing = spec.options.filter((o) => !values.has(o.value)).map((o) => o.value);
        if (missing.length) report.warnings.push(`${label} lacks options ${missing.join(', ')}: those categories will be refused`);
      }
      continue;
    }
    await createOrConflict(label, () =>
      api.call(std('create property', false), async (c) =>
        info(await c.crm.properties.coreApi.createWithHttpInfo('deals', { ...spec, groupName: group } as never)),
      ),
    );
  }

  return report;
}
