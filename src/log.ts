import winston from 'winston';

export type Logger = winston.Logger;

/** Keys whose values are secrets wherever they appear (case-insensitive, nested too). */
const SECRET_KEYS =
  /^(authorization|cookie|set-cookie|password|passwd|secret|client_?secret|access_?token|refresh_?token|id_?token|token|api_?key|encryption_?key|session_?secret|code_?verifier|x-hubspot-signature(-v3)?)$/i;

/** Values that look like secrets even under an innocent key. */
const SECRET_VALUES: Array<[RegExp, string]> = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=!-]+/g, '$1 [REDACTED]'],
  [/\bpat-[a-z0-9]+-[A-Za-z0-9-]+/g, '[REDACTED]'],
  [/\b00D[A-Za-z0-9]{12,15}![A-Za-z0-9._]+/g, '[REDACTED]'],
  [/([?&](?:access_token|refresh_token|code|client_secret|code_verifier)=)[^&\s"]+/g, '$1[REDACTED]'],
];

export const REDACTED = '[REDACTED]';

function redactString(s: string): string {
  let out = s;
  for (const [re, rep] of SECRET_VALUES) out = out.replace(re, rep);
  return out;
}

/** Returns a copy with secrets replaced; safe on cycles and errors. */
export function redact(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (value instanceof Date) return value;
  if (value instanceof Error) {
    return { name: value.name, message: redactString(value.message), ...(redact({ ...value }, seen) as object) };
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEYS.test(k) && v !== undefined && v !== null ? REDACTED : redact(v, seen);
  }
  return out;
}

const redactFormat = winston.format((info) => {
  const cleaned = redact({ ...info }) as Record<string, unknown>;
  for (const key of Object.keys(info)) if (!(key in cleaned)) delete (info as Record<string, unknown>)[key];
  Object.assign(info, cleaned);
  return info;
});

export interface LoggerOptions {
  level?: string;
  format?: 'json' | 'pretty';
  /** Where lines go; defaults to the console. Tests pass a stream to read what was logged. */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
}

/**
 * The one logger factory. Secrets are redacted here, inside the logger, so no call site can
 * leak a token by accident. Child loggers carry tenantId, runId and requestId as fields.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  const format =
    opts.format === 'pretty'
      ? winston.format.combine(
          redactFormat(),
          winston.format.timestamp({ format: 'HH:mm:ss' }),
          winston.format.colorize(),
          winston.format.printf(({ level, message, timestamp, ...rest }) => {
            const extra = Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : '';
            return `${String(timestamp)} ${level} ${String(message)}${extra}`;
          }),
        )
      : winston.format.combine(redactFormat(), winston.format.timestamp(), winston.format.json());
  const transport = opts.stream
    ? new winston.transports.Stream({ stream: opts.stream })
    : new winston.transports.Console({ stderrLevels: ['error', 'warn'] });
  return winston.createLogger({ level: opts.level ?? 'info', format, transports: [transport], silent: opts.silent });
}

/** A logger that drops everything (tests, pure library use). */
export const silentLogger = (): Logger => createLogger({ silent: true });
