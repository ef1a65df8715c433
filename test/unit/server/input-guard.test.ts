import { describe, expect, it } from 'vitest';
import { findInputProblem, MAX_BODY_DEPTH } from '../../../src/server/http/input-guard.ts';

describe('findInputProblem', () => {
  it('names the first string Postgres could not store: NUL or an unpaired surrogate, in values and keys', () => {
    expect(findInputProblem({ deal: { owner: { name: 'Ada\u0000' } } })).toEqual({
      path: 'deal.owner.name',
      message: 'contains a NUL character (U+0000)',
    });
    expect(findInputProblem({ list: ['ok', 'x\ud800y'] })).toEqual({ path: 'list.1', message: 'contains an unpaired UTF-16 surrogate' });
    expect(findInputProblem({ 'a\u0000': 1 })).toMatchObject({ path: 'a\\0', message: expect.stringContaining('key contains a NUL') });
    expect(findInputProblem('\udc00')).toMatchObject({ path: '' });
  });

  it('accepts ordinary text, emoji (paired surrogates) and accents', () => {
    expect(findInputProblem({ name: 'Café 🚀 deal', tags: ['a', 'b'], n: 1, z: null })).toBeNull();
  });

  it('refuses nesting deeper than the limit without recursing (100,000 levels)', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(findInputProblem(deep)).toEqual({ path: 'a.a.a.a…', message: `is nested deeper than ${MAX_BODY_DEPTH} levels` });
    let ok: unknown = 1;
    for (let i = 0; i < MAX_BODY_DEPTH; i++) ok = { a: ok };
    expect(findInputProblem(ok)).toBeNull();
  });
});
