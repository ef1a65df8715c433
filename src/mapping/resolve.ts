import { AppError } from '../core/errors.ts';
import type { Store } from '../store/index.ts';
import { rememberFeatureLabels } from './labels.ts';
import { defaultMapping } from './load.ts';
import type { Mapping } from './schema.ts';
import { parseMapping } from './schema.ts';

/** The tenant's override when it has one (validated again on read), else the default file. */
export async function resolveMapping(store: Store, tenantId: string, source: 'salesforce' | 'hubspot'): Promise<Mapping> {
  const doc = await store.mappings.get(tenantId, source);
  return doc ? parseMapping(doc, `tenant ${tenantId} mapping override for ${source}`) : defaultMapping(source);
}

/** Validates, then stores a tenant's override; throws AppError('mapping_invalid') naming the key path. */
export async function saveMappingOverride(
  store: Store,
  tenantId: string,
  source: 'salesforce' | 'hubspot',
  doc: unknown,
  by: string | null,
  now: Date,
): Promise<Mapping> {
  const mapping = parseMapping(doc, `mapping override for ${source}`);
  if (mapping.source !== source) {
    throw new AppError('mapping_invalid', `mapping override for ${source}: source: expected "${source}", got "${mapping.source}"`, {
      path: 'source',
    });
  }
  await store.mappings.put(tenantId, source, doc as Record<string, unknown>, by, now);
  await rememberFeatureLabels(store, tenantId, mapping);
  return mapping;
}
