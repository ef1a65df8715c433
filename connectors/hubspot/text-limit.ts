/**
 * HubSpot holds at most 65,536 characters in a text property set through the CRM or its API
 * ("When the value is added through the CRM, the character limit is 65,536 characters":
 * https://knowledge.hubspot.com/properties/property-field-types-in-hubspot); a longer value is
 * refused (400 `INVALID_STRING`). Text we write stops a little short of that.
 */
export const TEXT_MAX = 65_000;

/** `s` cut to at most `max` characters, ending with "…" when cut, never splitting a surrogate pair. */
export function clip(s: string, max = TEXT_MAX): string {
  if (s.length <= max) return s;
  if (max < 2) return '';
  const head = s.slice(0, max - 1);
  return `${/[\uD800-\uDBFF]$/.test(head) ? head.slice(0, -1) : head}…`;
}
