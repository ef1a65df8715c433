import { describe, expect, it } from 'vitest';
import { trainModel } from '../../../src/core/scoring/train.ts';
import { day, syntheticClosed, testConfig } from './builders.ts';

const asOf = day('2024-06-01');
const closed = syntheticClosed({ n: 400, seed: 11, lossProb: (d) => (d.leadSource === 'Partner' ? 0.8 : 0.3) });
const notesOf = (deals: typeof closed) => trainModel({ deals }, { config: testConfig(), tenantId: 't1', trainedAt: asOf }).notes;

describe('the note a model carries when deals cannot be replayed at past ages', () => {
  it('names createdAt when closedAt is mapped but createdAt is not, and says what it costs', () => {
    const notes = notesOf(closed.map((d) => ({ ...d, createdAt: null })));
    expect(notes).toContain(
      'No creation dates: createdAt is empty on every closed deal (closedAt is there), so closed deals cannot be replayed at past ages: only values fixed at creation (segments, amount, extras) are used, not deal age, time in stage or stage history. Map createdAt to use them.',
    );
  });

  it('names closedAt, and the random holdout, when only createdAt is there', () => {
    const notes = notesOf(closed.map((d) => ({ ...d, closedAt: null })));
    expect(
      notes.some(
        (n) =>
          n.startsWith('No close dates: closedAt is empty on every closed deal (createdAt is there)') &&
          n.includes('holds out a random share'),
      ),
    ).toBe(true);
  });

  it('names both when neither is there, and says nothing when both are', () => {
    expect(
      notesOf(closed.map((d) => ({ ...d, createdAt: null, closedAt: null }))).some((n) =>
        n.startsWith('No dates: createdAt and closedAt are empty'),
      ),
    ).toBe(true);
    expect(notesOf(closed).some((n) => /^No (creation |close |usable )?dates/.test(n))).toBe(false);
  });
});
