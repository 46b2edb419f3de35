import { Logger as GraphileLogger } from 'graphile-worker';
import { pino, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';

/**
 * Paths whose values never reach a log line: secrets are write-only everywhere.
 * Anything shaped like a credential in a logged object is censored by name.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.secretAccessKey',
  '*.serviceAccountKey',
  '*.token',
  '*.appKey',
  'password',
  'secretAccessKey',
  'serviceAccountKey',
  'token',
];

/**
 * JSON lines (for log collectors) or, `pretty`, one readable coloured line per event for a person at
 * a terminal; the same redaction either way.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream, format: 'json' | 'pretty' = 'json'): Logger {
  const out =
    format === 'pretty'
      ? PinoPretty({ destination: destination ?? process.stdout, sync: true, ignore: 'pid,hostname,service', translateTime: 'SYS:HH:MM:ss.l' })
      : destination;
  return pino(
    {
      level,
      base: { service: 'offload' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    out ?? process.stdout,
  );
}
/**
 * graphile-worker's log lines, into our JSON log at the matching level. Only plain values
 * pass: its metadata can hold whole pg clients, connection string (and password) included.
 */
/**
 * A failed job is retried, and our task has already logged why at its own level: the queue's
 * notice of it is a warning, or debug for a job that only asked to run later (a shutdown, an upload
 * held elsewhere). Anything else keeps the queue's own level.
 */
function queueLogLevel(level: string, meta: Record<string, unknown> | undefined): 'error' | 'warn' | 'debug' {
  if (meta?.failure === true) return (meta.error as Error | undefined)?.name === 'TryLater' ? 'debug' : 'warn';
  return level === 'error' ? 'error' : level === 'warning' ? 'warn' : 'debug';
}

export function queueLogger(logger: Logger): GraphileLogger {
  const child = logger.child({ component: 'job-queue' });
  return new GraphileLogger(() => (level, message, meta) => {
    const method = queueLogLevel(level, meta);
    const safe: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(meta ?? {})) {
      if (value instanceof Error) safe[key] = { message: value.message, code: (value as { code?: string }).code };
      else if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) safe[key] = value;
    }
    child[method](safe, message);
  });
}

export type { Logger };
