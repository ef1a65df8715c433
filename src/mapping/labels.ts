import type { Store } from '../store/index.ts';
import { featureLabels, type Mapping } from './schema.ts';

/**
 * Keeps a mapping's extras labels in the tenant's scoring settings (`settings.scoring.labels`),
 * where training and the segment charts read them: a later import or training run names
 * `extras.vp` "VP involved" instead of "Vp". Labels the tenant already has for other features
 * stay; the mapping's win for its own extras.
 */
export async function rememberFeatureLabels(store: Store, tenantId: string, mapping: Mapping): Promise<void> {
  const labels = featureLabels(mapping);
  if (Object.keys(labels).length === 0) return;
  const tenant = await store.tenants.get(tenantId);
  const scoring = (tenant?.settings.scoring ?? {}) as Record<string, unknown>;
  const current = (scoring.labels ?? {}) as Record<string, string>;
  if (Object.entries(labels).every(([k, v]) => current[k] === v)) return;
  await store.tenants.updateSettings(tenantId, { scoring: { ...scoring, labels: { ...current, ...labels } } });
}
