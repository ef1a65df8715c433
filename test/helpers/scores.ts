import type { Store } from '../../src/store/index.ts';
import { type StoredScore, scoreRow } from '../../src/store/repos/scores.ts';

/**
 * Rows straight into the score history, as fixtures: the app's one writer of scores is
 * syncState.saveScores (history and current state together); these tests need history rows alone,
 * e.g. an older score arriving after a newer one.
 */
export async function insertScores(store: Store, tenantId: string, scores: StoredScore[]): Promise<void> {
  if (scores.length === 0) return;
  await store.db
    .insertInto('scores')
    .values(scores.map((s) => scoreRow(tenantId, s)))
    .execute();
}
