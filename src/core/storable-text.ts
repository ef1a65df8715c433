/**
 * Text Postgres can store. A CRM field can hold U+0000, which neither `text` nor `jsonb` accepts
 * (`invalid byte sequence for encoding "UTF8": 0x00`, `unsupported Unicode escape sequence`), or a
 * lone UTF-16 surrogate, which `jsonb` refuses (`invalid input syntax for type json`). Text is
 * made storable where it enters: NUL removed, each lone surrogate replaced with U+FFFD, the
 * character a UTF-8 encoder writes for it.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding U+0000 is this module's purpose.
const SUSPECT = /[\u0000\ud800-\udfff]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding U+0000 is this module's purpose.
const NUL = /\u0000/g;
// A high surrogate not followed by a low one, or a low surrogate not preceded by a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * `s` without NUL and with lone surrogates replaced by U+FFFD (the same string when clean).
 * Surrogates first: removing a NUL first would join two lone halves it kept apart into a
 * character the text never held.
 */
export function storableText(s: string): string {
  if (!SUSPECT.test(s)) return s;
  return s.replace(LONE_SURROGATE, '\ufffd').replace(NUL, '');
}

/** What cleaning changed in one string, in words, or null when it was storable already. */
export function describeCleaning(s: string): string | null {
  if (!SUSPECT.test(s)) return null;
  const nul = s.match(NUL)?.length ?? 0;
  const lone = s.match(LONE_SURROGATE)?.length ?? 0;
  const parts: string[] = [];
  if (nul) parts.push(`removed ${nul} U+0000 (NUL) character${nul > 1 ? 's' : ''}`);
  if (lone) parts.push(`replaced ${lone} lone surrogate${lone > 1 ? 's' : ''} with U+FFFD`);
  return parts.length ? parts.join('; ') : null;
}

/** One place in a value where text was changed to make it storable. */
export interface CleanedText {
  /** Dotted path to the value (`properties.dealname`, `items.0.note`); a key's own path when the key was cleaned. */
  path: string;
  reason: string;
}

/**
 * A copy of `value` whose every string, object key included, is storable, and where it changed.
 * Objects and arrays are copied only where something inside them changed; Dates, numbers and
 * other non-plain values are kept as they are.
 */
export function storableValue<T>(value: T): { value: T; cleaned: CleanedText[] } {
  // Nearly every record is clean: one scan without allocating, and the copy only when needed.
  if (isStorable(value)) return { value, cleaned: [] };
  const cleaned: CleanedText[] = [];
  const out = walk(value, [], cleaned) as T;
  return { value: out, cleaned };
}

function isStorable(v: unknown): boolean {
  if (typeof v === 'string') return !SUSPECT.test(v);
  if (Array.isArray(v)) {
    for (const x of v) if (!isStorable(x)) return false;
    return true;
  }
  if (v === null || typeof v !== 'object' || !isPlainObject(v)) return true;
  for (const key in v) {
    if (SUSPECT.test(key) || !isStorable((v as Record<string, unknown>)[key])) return false;
  }
  return true;
}

function walk(v: unknown, path: string[], cleaned: CleanedText[]): unknown {
  if (typeof v === 'string') {
    const reason = describeCleaning(v);
    if (reason === null) return v;
    cleaned.push({ path: path.join('.'), reason });
    return storableText(v);
  }
  if (Array.isArray(v)) {
    let copy: unknown[] | null = null;
    for (let i = 0; i < v.length; i++) {
      path.push(String(i));
      const next = walk(v[i], path, cleaned);
      path.pop();
      if (next !== v[i]) {
        copy ??= v.slice();
        copy[i] = next;
      }
    }
    return copy ?? v;
  }
  if (v === null || typeof v !== 'object' || !isPlainObject(v)) return v;
  const entries = Object.entries(v);
  const out: Array<[string, unknown]> = [];
  let changed = false;
  for (const [key, inner] of entries) {
    const keyReason = describeCleaning(key);
    const safeKey = keyReason === null ? key : storableText(key);
    path.push(safeKey);
    if (keyReason !== null) cleaned.push({ path: path.join('.'), reason: `field name: ${keyReason}` });
    const next = walk(inner, path, cleaned);
    path.pop();
    if (next !== inner || keyReason !== null) changed = true;
    out.push([safeKey, next]);
  }
  // fromEntries defines own properties, so a `__proto__` key stays data, never a prototype.
  return changed ? Object.fromEntries(out) : v;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

// JSON.stringify writes U+0000 as \u0000 and a lone surrogate as \udXXX (ES2019 well-formed
// stringify); a paired surrogate is written as the character itself.
const SUSPECT_JSON = /\\u0000|\\ud[89a-f]/i;

/**
 * `JSON.stringify(value)` that Postgres accepts as jsonb. The serialized text is checked first,
 * so a clean value costs one scan; a backslash followed by `u0000` in the data only triggers
 * a clean that changes nothing.
 */
export function storableJson(value: object): string {
  const json = JSON.stringify(value);
  return SUSPECT_JSON.test(json) ? JSON.stringify(storableValue(value).value) : json;
}
