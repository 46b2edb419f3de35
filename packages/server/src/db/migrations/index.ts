import { Migration20261125000000_settings } from './Migration20261125000000_settings.js';
import { Migration20261125010000_auth } from './Migration20261125010000_auth.js';
import { Migration20261125020000_creatives } from './Migration20261125020000_creatives.js';
import { Migration20261125030000_offload_workers } from './Migration20261125030000_offload_workers.js';
import { Migration20261125040000_local_delete_pending } from './Migration20261125040000_local_delete_pending.js';
import { Migration20261125050000_cache_notifications } from './Migration20261125050000_cache_notifications.js';
import { Migration20261126000000_storage_locations } from './Migration20261126000000_storage_locations.js';
import { Migration20261126010000_rate_limits } from './Migration20261126010000_rate_limits.js';
import { Migration20261126020000_overview_indexes } from './Migration20261126020000_overview_indexes.js';
import { Migration20261126100000_creative_tally } from './Migration20261126100000_creative_tally.js';
import { Migration20261126110000_bulk_jobs } from './Migration20261126110000_bulk_jobs.js';
import { Migration20261205000000_bulk_scale } from './Migration20261205000000_bulk_scale.js';
import { Migration20261206000000_bulk_estimates } from './Migration20261206000000_bulk_estimates.js';

/**
 * Every migration, in order. Listed explicitly rather than globbed from disk so the same
 * list runs under tsx, vitest and any bundler.
 */
export const migrationsList = [
  { name: 'Migration20261125000000_settings', class: Migration20261125000000_settings },
  { name: 'Migration20261125010000_auth', class: Migration20261125010000_auth },
  { name: 'Migration20261125020000_creatives', class: Migration20261125020000_creatives },
  { name: 'Migration20261125030000_offload_workers', class: Migration20261125030000_offload_workers },
  { name: 'Migration20261125040000_local_delete_pending', class: Migration20261125040000_local_delete_pending },
  { name: 'Migration20261125050000_cache_notifications', class: Migration20261125050000_cache_notifications },
  { name: 'Migration20261126000000_storage_locations', class: Migration20261126000000_storage_locations },
  { name: 'Migration20261126010000_rate_limits', class: Migration20261126010000_rate_limits },
  { name: 'Migration20261126020000_overview_indexes', class: Migration20261126020000_overview_indexes },
  { name: 'Migration20261126100000_creative_tally', class: Migration20261126100000_creative_tally },
  { name: 'Migration20261126110000_bulk_jobs', class: Migration20261126110000_bulk_jobs },
  { name: 'Migration20261205000000_bulk_scale', class: Migration20261205000000_bulk_scale },
  { name: 'Migration20261206000000_bulk_estimates', class: Migration20261206000000_bulk_estimates },
];
