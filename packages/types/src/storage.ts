/**
 * Storage, as the server, the admin SPA and the e2e suite share it: the provider catalog
 * (catalog.ts, one file per provider in providers/), and the shapes of plugin cards and of Test
 * connection.
 */
export * from './catalog.js';
export * from './providers/index.js';

/** What a plugin card's button does, given the license and purchases. */
export const PLUGIN_ACTIONS = ['INSTALL', 'PURCHASE', 'UNINSTALL'] as const;
export type PluginAction = (typeof PLUGIN_ACTIONS)[number];

/** The steps of Test connection, in order. */
export const CONNECTION_TEST_STEPS = ['CONFIGURATION', 'UPLOAD', 'READ_BACK', 'PUBLIC_URL', 'DELETE'] as const;
export type ConnectionTestStep = (typeof CONNECTION_TEST_STEPS)[number];

export interface ConnectionTestResult {
  ok: boolean;
  /** The step that failed; null on success. */
  step: ConnectionTestStep | null;
  /** A storage error code (INVALID_CREDENTIALS, BUCKET_NOT_FOUND, …) or INCOMPLETE_CONFIGURATION. */
  code: string | null;
  message: string;
  /** Problems that do not stop offloading but will bite later (e.g. the Public / CDN URL). */
  warnings: string[];
  durationMs: number;
}
