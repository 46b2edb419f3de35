import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { REPO_ROOT } from './paths.js';

const bool = (name: string) => z.enum(['true', 'false', '1', '0'], { error: `${name} must be true or false` }).transform((v) => v === 'true' || v === '1');

const absoluteHttpUrl = (name: string) =>
  z
    .string()
    .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), {
      error: `${name} must be an absolute http(s) URL`,
    })
    .transform((v) => v.replace(/\/+$/, ''));

const env = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test'], { error: 'NODE_ENV must be development, production or test' }).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce
    .number({ error: 'PORT must be a number' })
    .int('PORT must be a whole number')
    .min(0, 'PORT must be between 0 and 65535')
    .max(65535, 'PORT must be between 0 and 65535')
    .default(3000),
  PUBLIC_URL: absoluteHttpUrl('PUBLIC_URL').optional(),
  DATA_DIR: z.string().min(1).default(path.join(REPO_ROOT, '.data')),
  RESULTS_DIR: z.string().min(1).optional(),
  DATABASE_URL: z
    .string()
    .refine((v) => URL.canParse(v) && /^postgres(ql)?:$/.test(new URL(v).protocol), {
      error: 'DATABASE_URL must be a postgres:// or postgresql:// URL',
    })
    .optional(),
  EMBEDDED_POSTGRES_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  APP_KEY: z.string().optional(),
  APP_PREVIOUS_KEYS: z.string().optional(),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty'], { error: 'LOG_FORMAT must be json or pretty' }).optional(),
  ADMIN_EMAIL: z.email({ error: 'ADMIN_EMAIL must be an email address' }).default('admin@offload.local'),
  ADMIN_PASSWORD: z.string().min(12, 'ADMIN_PASSWORD must be at least 12 characters').optional(),
  LICENSE_TYPE: z.enum(['regular', 'extended'], { error: 'LICENSE_TYPE must be regular or extended' }).default('regular'),
  PLUGIN_CHECKOUT_URL: z
    .string()
    .refine((v) => URL.canParse(v.replace('{plugin}', 'x')) && /^https?:$/.test(new URL(v.replace('{plugin}', 'x')).protocol), {
      error: 'PLUGIN_CHECKOUT_URL must be an http(s) URL; {plugin} in it is replaced by the plugin key',
    })
    .optional(),
  OFFLOAD_WORKER: bool('OFFLOAD_WORKER').default(true),
  OFFLOAD_CONCURRENCY: z.coerce
    .number({ error: 'OFFLOAD_CONCURRENCY must be a number' })
    .int()
    .min(1, 'OFFLOAD_CONCURRENCY must be between 1 and 64')
    .max(64, 'OFFLOAD_CONCURRENCY must be between 1 and 64')
    .default(4),
  OFFLOAD_PART_SIZE_MB: z.coerce
    .number({ error: 'OFFLOAD_PART_SIZE_MB must be a number' })
    .int()
    .min(5, 'OFFLOAD_PART_SIZE_MB must be between 5 and 512')
    .max(512, 'OFFLOAD_PART_SIZE_MB must be between 5 and 512')
    .default(8),
  OFFLOAD_PART_QUEUE: z.coerce
    .number({ error: 'OFFLOAD_PART_QUEUE must be a number' })
    .int()
    .min(1, 'OFFLOAD_PART_QUEUE must be between 1 and 16')
    .max(16, 'OFFLOAD_PART_QUEUE must be between 1 and 16')
    .default(2),
  OFFLOAD_MAX_ATTEMPTS: z.coerce
    .number({ error: 'OFFLOAD_MAX_ATTEMPTS must be a number' })
    .int()
    .min(1, 'OFFLOAD_MAX_ATTEMPTS must be between 1 and 25')
    .max(25, 'OFFLOAD_MAX_ATTEMPTS must be between 1 and 25')
    .default(10),
  VERIFY_SAMPLE_SIZE: z.coerce
    .number({ error: 'VERIFY_SAMPLE_SIZE must be a number' })
    .int()
    .min(0, 'VERIFY_SAMPLE_SIZE must be between 0 (off) and 10000000')
    .max(10_000_000, 'VERIFY_SAMPLE_SIZE must be between 0 (off) and 10000000')
    .default(1000),
  OFFLOAD_REQUEST_TIMEOUT_SECONDS: z.coerce
    .number({ error: 'OFFLOAD_REQUEST_TIMEOUT_SECONDS must be a number' })
    .int()
    .min(1, 'OFFLOAD_REQUEST_TIMEOUT_SECONDS must be between 1 and 3600')
    .max(3600, 'OFFLOAD_REQUEST_TIMEOUT_SECONDS must be between 1 and 3600')
    .default(120),
  OFFLOAD_LEASE_SECONDS: z.coerce
    .number({ error: 'OFFLOAD_LEASE_SECONDS must be a number' })
    .int()
    .min(5, 'OFFLOAD_LEASE_SECONDS must be between 5 and 3600')
    .max(3600, 'OFFLOAD_LEASE_SECONDS must be between 5 and 3600')
    .default(60),
  SIGNED_URL_TTL_SECONDS: z.coerce
    .number({ error: 'SIGNED_URL_TTL_SECONDS must be a number' })
    .int()
    .min(60, 'SIGNED_URL_TTL_SECONDS must be between 60 and 604800')
    .max(604800, 'SIGNED_URL_TTL_SECONDS must be between 60 and 604800')
    .default(3600),
  METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
  GRAPHQL_PLAYGROUND: bool('GRAPHQL_PLAYGROUND').optional(),
  GRAPHQL_INTROSPECTION: bool('GRAPHQL_INTROSPECTION').optional(),
});

export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /** Base URL users reach this service at; local result URLs are built from it. */
  publicUrl: string;
  dataDir: string;
  resultsDir: string;
  /** Unset: run an embedded PostgreSQL with its data under `dataDir`. */
  databaseUrl: string | undefined;
  embeddedPostgresPort: number;
  /** Raw key material; `loadAppKeys` turns it into the key ring. */
  appKey: string | undefined;
  appPreviousKeys: string[];
  logLevel: string;
  /** `pretty` for a person at a terminal (development, stdout a TTY); JSON lines otherwise. */
  logFormat: 'json' | 'pretty';
  /** The first admin, created on first start; without a password one is generated and shown once. */
  firstAdmin: { email: string; password: string | undefined };
  /** The platform's license: Extended License holders install "free for Extended" plugins without buying them. */
  license: { type: 'regular' | 'extended'; checkoutUrl: string | undefined };
  offload: {
    /** Run the offload worker inside this process (the API). `pnpm worker` runs it alone. */
    inProcess: boolean;
    concurrency: number;
    partSizeBytes: number;
    partQueueSize: number;
    maxAttempts: number;
    leaseSeconds: number;
    /** How long one request to the store (a PUT or one part) may take before it is abandoned and retried. */
    requestTimeoutSeconds: number;
    /** Stored objects each bucket location reads back every day at 03:00 UTC (a sample scrub); 0: none. */
    verifySampleSize: number;
  };
  signedUrlTtlSeconds: number;
  /** Bearer token for /metrics; unset: /metrics is off. */
  metricsToken: string | undefined;
  playground: boolean;
  introspection: boolean;
  /** Where the built admin SPA is; absent until `pnpm build` ran. */
  adminDistDir: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
  }
}

/** Reads and validates the environment; throws one `ConfigError` naming every bad variable. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = env.safeParse(Object.fromEntries(Object.entries(source).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const name = String(i.path[0]);
        return i.message.startsWith(name) ? i.message : `${name}: ${i.message}`;
      }),
    );
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  const devLike = e.NODE_ENV !== 'production';
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    publicUrl: e.PUBLIC_URL ?? `http://${e.HOST === '0.0.0.0' || e.HOST === '::' ? 'localhost' : e.HOST}:${e.PORT}`,
    dataDir,
    resultsDir: path.resolve(e.RESULTS_DIR ?? path.join(dataDir, 'results')),
    databaseUrl: e.DATABASE_URL,
    embeddedPostgresPort: e.EMBEDDED_POSTGRES_PORT,
    appKey: e.APP_KEY,
    appPreviousKeys: (e.APP_PREVIOUS_KEYS ?? '')
      .split(',')
      .map((k) => k.trim())
      .filter(Boolean),
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT ?? (e.NODE_ENV === 'development' && process.stdout.isTTY ? 'pretty' : 'json'),
    firstAdmin: { email: e.ADMIN_EMAIL, password: e.ADMIN_PASSWORD },
    license: { type: e.LICENSE_TYPE, checkoutUrl: e.PLUGIN_CHECKOUT_URL },
    offload: {
      inProcess: e.OFFLOAD_WORKER,
      concurrency: e.OFFLOAD_CONCURRENCY,
      partSizeBytes: e.OFFLOAD_PART_SIZE_MB * 1024 * 1024,
      partQueueSize: e.OFFLOAD_PART_QUEUE,
      maxAttempts: e.OFFLOAD_MAX_ATTEMPTS,
      leaseSeconds: e.OFFLOAD_LEASE_SECONDS,
      requestTimeoutSeconds: e.OFFLOAD_REQUEST_TIMEOUT_SECONDS,
      verifySampleSize: e.VERIFY_SAMPLE_SIZE,
    },
    signedUrlTtlSeconds: e.SIGNED_URL_TTL_SECONDS,
    metricsToken: e.METRICS_TOKEN,
    playground: e.GRAPHQL_PLAYGROUND ?? devLike,
    introspection: e.GRAPHQL_INTROSPECTION ?? e.GRAPHQL_PLAYGROUND ?? devLike,
    adminDistDir: path.join(REPO_ROOT, 'packages/admin/dist'),
  };
}

export const adminBuilt = (config: Config) => existsSync(path.join(config.adminDistDir, 'index.html'));
