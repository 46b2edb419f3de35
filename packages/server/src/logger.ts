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
export type { Logger };
