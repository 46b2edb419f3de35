import { LockMode } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Setting } from '../db/setting.entity.js';
import { LocationRepository } from './location.repository.js';
import { isEnvelope, SettingsCipher, SettingsDecryptError } from './settings-cipher.js';
import { sealedAs } from './storage-locations.service.js';

export interface ReencryptReport {
  reencrypted: string[];
  alreadyCurrent: string[];
  /** Entries no configured key can open: left untouched. */
  unreadable: string[];
}

/** Re-seals every encrypted settings entry and every location's credentials under the current APP_KEY, in one transaction. */
export async function reencryptSettings(em: EntityManager, cipher: SettingsCipher): Promise<ReencryptReport> {
  const report: ReencryptReport = { reencrypted: [], alreadyCurrent: [], unreadable: [] };
  /** The value re-sealed, or undefined when it is current or unreadable (reported either way). */
  const reseal = (value: unknown, entry: string): unknown => {
    if (!isEnvelope(value)) return undefined;
    if (!cipher.isStale(value)) {
      report.alreadyCurrent.push(entry);
      return undefined;
    }
    try {
      const sealed = cipher.encrypt(cipher.decrypt(value, entry), entry);
      report.reencrypted.push(entry);
      return sealed;
    } catch (error) {
      if (!(error instanceof SettingsDecryptError)) throw error;
      report.unreadable.push(entry);
      return undefined;
    }
  };
  await em.transactional(async (tx) => {
    for (const row of await tx.find(Setting, {}, { lockMode: LockMode.PESSIMISTIC_WRITE })) {
      const sealed = reseal(row.value, row.key);
      if (sealed === undefined) continue;
      row.value = sealed;
      row.updatedAt = new Date();
    }
    const locations = new LocationRepository(tx);
    for (const location of await locations.sealedForUpdate()) {
      const sealed = reseal(location.sealed, sealedAs(location.identity));
      if (sealed !== undefined) await locations.update(location.id, { sealed });
    }
  });
  return report;
}
