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

/**
 * The first minute after `now` at which the local time of day reaches `hhmm` on a local date
 * later than now's, or later today when it is not reached yet. Stepping by the wall clock's
 * minutes, then checked against the zone's rules, so a daylight-saving change never makes it late.
 */
export function nextLocalTime(now: Date, hhmm: string, tz: string): Date {
  const { minutes, date } = localParts(now, tz);
  const target = toMinutes(hhmm);
  const reachedToday = minutes >= target;
  const at = new Date(now.getTime() + ((target - minutes + 1440) % 1440 || 1440) * 60_000);
  at.setUTCSeconds(0, 0);
  const due = (t: Date) => {
    const p = localParts(t, tz);
    return p.minutes >= target && (reachedToday ? p.date > date : true);
  };
  // An hour's shift either way: walk back while the minute before is still due, forward until due.
  for (let i = 0; i < 120 && due(new Date(at.getTime() - 60_000)) && at.getTime() - 60_000 > now.getTime(); i++)
    at.setTime(at.getTime() - 60_000);
  for (let i = 0; i < 120 && !due(at); i++) at.setTime(at.getTime() + 60_000);
  return at;
}
