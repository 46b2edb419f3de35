import { emptySettings, graphqlEnumName, PROVIDERS, type ProviderKey, type ProviderSettings } from '@offload/types';
import type { ProviderKey as ProviderKeyName, ProviderSettingsFieldsFragment } from '@offload/types/graphql';

/** The provider as the API names it (CLOUDFLARE_R2). */
export const apiName = (provider: ProviderKey) => graphqlEnumName(provider) as ProviderKeyName;

/** What the form edits: every field of the provider, secrets blank (a stored one is kept unless a new one is typed). */
export const formOf = (provider: ProviderKey, view: ProviderSettingsFieldsFragment): ProviderSettings => ({
  ...emptySettings(provider),
  ...(view.values as ProviderSettings),
});

/** Only the fields this provider has; a blank secret is left out so the stored one is kept. */
export function inputOf(provider: ProviderKey, form: ProviderSettings): Record<string, string | boolean> {
  const input: Record<string, string | boolean> = {};
  for (const field of PROVIDERS[provider].fields) {
    const value = form[field.name];
    if (field.kind === 'secret' && !value) continue;
    input[field.name] = value ?? '';
  }
  return input;
}
