import { registerEnumType } from 'type-graphql';
import {
  API_SCOPES,
  CONNECTION_TEST_STEPS,
  graphqlEnumName,
  OFFLOAD_STATUSES,
  PLUGIN_ACTIONS,
  PRICINGS,
  PROVIDER_KEYS,
  STORAGE_KEYS,
  STUDIOS,
} from '@offload/types';
import { BULK_JOB_KINDS, BULK_JOB_STATES } from '../bulk/bulk-job.repository.js';

/**
 * Every GraphQL enum, built from the one list that defines its values (in @offload/types or the
 * entity): GraphQL names are the values in UPPER_SNAKE (`cloudflare-r2` → CLOUDFLARE_R2), and the
 * resolvers see the values themselves.
 */
function graphqlEnum<const V extends string>(values: readonly V[], name: string, description?: string, valueDescriptions?: Partial<Record<V, string>>) {
  const members = Object.fromEntries(values.map((v) => [graphqlEnumName(v), v])) as Record<string, V>;
  const valuesConfig = valueDescriptions
    ? Object.fromEntries(Object.entries(members).flatMap(([member, v]) => (valueDescriptions[v] ? [[member, { description: valueDescriptions[v] }]] : [])))
    : undefined;
  registerEnumType(members, { name, description, valuesConfig });
  return members;
}

export const ProviderKeyEnum = graphqlEnum(PROVIDER_KEYS, 'ProviderKey', 'A bucket storage provider.');
export const StorageKeyEnum = graphqlEnum(STORAGE_KEYS, 'StorageKey', 'Where results can live: this server, or a provider’s bucket.');
export const PluginActionEnum = graphqlEnum(PLUGIN_ACTIONS, 'PluginAction', 'What the plugin card’s button does, given the license and purchases.');
export const PricingEnum = graphqlEnum(PRICINGS, 'Pricing');
export const ConnectionTestStepEnum = graphqlEnum(CONNECTION_TEST_STEPS, 'ConnectionTestStep');
export const ApiScopeEnum = graphqlEnum(API_SCOPES, 'ApiScope', 'What a platform API token may do.', {
  'creatives:write': 'Finalize and delete creatives (creatives:write).',
  'creatives:read': 'Read creatives and their URLs (creatives:read).',
});
export const StudioEnum = graphqlEnum(STUDIOS, 'Studio', 'The studio that generated a result.');
export const OffloadStatusEnum = graphqlEnum(OFFLOAD_STATUSES, 'OffloadStatus', undefined, {
  LOCAL: 'Lives on this server; no bucket was active when it was finalized.',
  QUEUED: 'Waiting to be uploaded (or to be retried); serving from this server meanwhile.',
  UPLOADING: 'Being uploaded now; serving from this server meanwhile.',
  OFFLOADED: 'Verified in its bucket and served from there.',
  FAILED: 'Every attempt failed; serving from this server. See lastError; retryOffload re-queues it.',
});
export const BulkJobStateEnum = graphqlEnum(
  BULK_JOB_STATES,
  'BulkJobState',
  'RUNNING until every result is done (COMPLETED), or PAUSED / CANCELED by an admin.',
);
export const BulkJobKindEnum = graphqlEnum(BULK_JOB_KINDS, 'BulkJobKind', 'What a bulk job does to each result.', {
  MOVE: 'Copy it to another location (verified), switch it there, optionally delete the source.',
  REMOVE_LOCAL: 'Delete its local copy once its stored object reads back as recorded.',
  VERIFY: 'Read its stored object back and compare it with the recorded SHA-256; repair from a local copy.',
  SCAN: 'Register the results on the results disk that were never finalized.',
});
