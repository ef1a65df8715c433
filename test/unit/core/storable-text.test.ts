import { describe, expect, it } from 'vitest';
import { describeCleaning, storableJson, storableText, storableValue } from '../../../src/core/storable-text.ts';

describe('storable text', () => {
  it('removes U+0000 and replaces lone surrogates with U+FFFD, keeping paired ones', () => {
    expect(storableText('Poison \u0000 deal')).toBe('Poison  deal');
    expect(storableText('a\ud800b')).toBe('a\ufffdb');
    expect(storableText('a\udc00b')).toBe('a\ufffdb');
    expect(storableText('end\ud83d')).toBe('end\ufffd');
    expect(storableText('emoji \ud83d\ude00 ok')).toBe('emoji \ud83d\ude00 ok');
    expect(storableText('\udc00\ud800')).toBe('\ufffd\ufffd');
    expect(describeCleaning('\u0000\u0000x\ud800')).toBe('removed 2 U+0000 (NUL) characters; replaced 1 lone surrogate with U+FFFD');
    expect(describeCleaning('plain 😀')).toBeNull();
  });

  it('never joins two lone surrogates that a NUL kept apart into a character the text did not hold', () => {
    // Found by the fuzz suite: "\uda60\u0000\udffc" was stored as U+A83FC, a character made of two garbage halves.
    expect(storableText('x\uda60\u0000\udffcy')).toBe('x\ufffd\ufffdy');
    expect(describeCleaning('x\uda60\u0000\udffcy')).toBe('removed 1 U+0000 (NUL) character; replaced 2 lone surrogates with U+FFFD');
    expect(storableValue({ name: 'x\ud83d\u0000\ude00' }).value).toEqual({ name: 'x\ufffd\ufffd' });
  });

  it('cleans nested values and keys, saying where, and leaves clean values untouched', () => {
    const date = new Date('2026-01-01T00:00:00Z');
    const raw = { dealname: 'x\u0000', nested: { 'k\ud800': ['ok', 'y\udfff'] }, n: 5, when: date, fine: { a: 'b' } };
    const { value, cleaned } = storableValue(raw);
    expect(value).toEqual({ dealname: 'x', nested: { 'k\ufffd': ['ok', 'y\ufffd'] }, n: 5, when: date, fine: { a: 'b' } });
    expect(value.fine).toBe(raw.fine);
    expect(value.when).toBe(date);
    expect(cleaned).toEqual([
      { path: 'dealname', reason: 'removed 1 U+0000 (NUL) character' },
      { path: 'nested.k\ufffd', reason: 'field name: replaced 1 lone surrogate with U+FFFD' },
      { path: 'nested.k\ufffd.1', reason: 'replaced 1 lone surrogate with U+FFFD' },
    ]);
    const clean = { a: 'b', c: [1, 'd'] };
    expect(storableValue(clean).value).toBe(clean);
  });

  it('keeps a __proto__ key as data when it rebuilds an object', () => {
    const raw = JSON.parse('{"__proto__": {"polluted": "yes"}, "name": "x\\u0000"}') as Record<string, unknown>;
    const { value } = storableValue(raw);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value)).toEqual(['__proto__', 'name']);
  });

  it('serializes to JSON Postgres accepts as jsonb', () => {
    expect(storableJson({ a: 'x\u0000y', b: '\ud800' })).toBe('{"a":"xy","b":"\ufffd"}');
    // A literal backslash-u in the text is not an escape: kept as it is.
    expect(storableJson({ a: '\\u0000' })).toBe(JSON.stringify({ a: '\\u0000' }));
    expect(storableJson({ a: '😀' })).toBe('{"a":"😀"}');
  });
});
