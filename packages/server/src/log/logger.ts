import { Logger as GraphileLogger } from 'graphile-worker';
import { pino, type Logger } from 'pino';

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

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'offload' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? process.stdout,
  );
}
/**
 * graphile-worker's log lines, into our JSON log at the matching level. Only plain values
 * pass: its metadata can hold whole pg clients, connection string (and password) included.
 */
export function queueLogger(logger: Logger): GraphileLogger {
  const child = logger.child({ component: 'job-queue' });
  return new GraphileLogger(() => (level, message, meta) => {
    const method = level === 'error' ? 'error' : level === 'warning' ? 'warn' : 'debug';
    const safe: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(meta ?? {})) {
      if (value instanceof Error) safe[key] = { message: value.message, code: (value as { code?: string }).code };
      else if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) safe[key] = value;
    }
    child[method](safe, message);
  });
}

export type { Logger };
