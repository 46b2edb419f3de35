/**
 * What a data migration may need from the running app beyond SQL: opening and sealing the
 * encrypted settings entries (only the app holds APP_KEY). Set by openDatabase before it
 * migrates; a migration that needs it and finds none fails with a clear message.
 */
export interface MigrationContext {
  decrypt(envelope: unknown, entry: string): unknown;
  encrypt(value: unknown, entry: string): unknown;
}

let current: MigrationContext | undefined;

export function setMigrationContext(context: MigrationContext | undefined): void {
  current = context;
}

export function migrationContext(): MigrationContext {
  if (!current) throw new Error('This migration reads encrypted settings: run it through the app (openDatabase with the settings cipher)');
  return current;
}
