import { graphqlEnumName, LOCAL_STORAGE, PROVIDERS, STORAGE_KEYS } from '@offload/types';
import type { StorageKey } from '@offload/types/graphql';

/** Where a result can live, as the media filter names it: from the provider registry. */
export const LOCATIONS = Object.fromEntries(
  STORAGE_KEYS.map((key) => [graphqlEnumName(key), key === LOCAL_STORAGE ? 'Local server' : PROVIDERS[key].label]),
) as Record<StorageKey, string>;
