import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Setting } from '../db/setting.entity.js';
import { isEnvelope, SettingsCipher, SettingsDecryptError } from './settings-cipher.js';

export interface ReencryptReport {
  reencrypted: string[];
  alreadyCurrent: string[];
  /** Entries no configured key can open: left untouched. */
  unreadable: string[];
}

/** Re-seals every encrypted settings entry under the current APP_KEY, in one transaction. */
export async function reencryptSettings(em: EntityManager, cipher: SettingsCipher): Promise<ReencryptReport> {
  const report: ReencryptReport = { reencrypted: [], alreadyCurrent: [], unreadable: [] };
  await em.transactional(async (tx) => {
    const rows = await tx.find(Setting, {}, { lockMode: LockMode.PESSIMISTIC_WRITE });
    for (const row of rows) {
      if (!isEnvelope(row.value)) continue;
      if (!cipher.isStale(row.value)) {
        report.alreadyCurrent.push(row.key);
        continue;
      }
      try {
        row.value = cipher.encrypt(cipher.decrypt(row.value, row.key), row.key);
        row.updatedAt = new Date();
        report.reencrypted.push(row.key);
      } catch (error) {
        if (!(error instanceof SettingsDecryptError)) throw error;
        report.unreadable.push(row.key);
      }
    }
  });
  return report;
}
