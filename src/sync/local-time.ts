/** Local wall-clock facts in an IANA zone, without a timezone library (Intl knows the rules). */

const formatters = new Map<string, Intl.DateTimeFormat>();
function fmt(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

export function localParts(at: Date, tz: string): { date: string; minutes: number } {
  const p = Object.fromEntries(
    fmt(tz)
      .formatToParts(at)
      .map((x) => [x.type, x.value]),
  );
  return { date: `${p.year}-${p.month}-${p.day}`, minutes: Number(p.hour) * 60 + Number(p.minute) };
}

const toMinutes = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * When a message may go out: now, or the end of the quiet hours when now falls inside them
 * (windows may wrap midnight, e.g. 20:00-08:00).
 */
export function afterQuietHours(now: Date, quiet: { start: string; end: string } | null, tz: string): Date {
  if (!quiet) return now;
  const { minutes } = localParts(now, tz);
  const start = toMinutes(quiet.start);
  const end = toMinutes(quiet.end);
  const inside = start <= end ? minutes >= start && minutes < end : minutes >= start || minutes < end;
  if (!inside) return now;
  const wait = (end - minutes + 1440) % 1440;
  const at = new Date(now.getTime() + wait * 60_000);
  at.setUTCSeconds(0, 0);
  return at;
}

/** True once the local time of day has reached `hhmm` (the digest goes out once per local day). */
export function reachedLocalTime(now: Date, hhmm: string, tz: string): { reached: boolean; date: string } {
  const { date, minutes } = localParts(now, tz);
  return { reached: minutes >= toMinutes(hhmm), date };
}
