import { JSONObjectResolver } from 'graphql-scalars';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { ConnectionTestStep, PluginAction, Pricing, ProviderKey, StorageKey } from '@offload/types';
import { ConnectionTestStepEnum, PluginActionEnum, PricingEnum, ProviderKeyEnum, StorageKeyEnum } from '../../graphql/enums.js';

@ObjectType({ description: 'A storage provider and whether it can be the Default Storage.' })
export class StorageProvider {
  @Field(() => ProviderKeyEnum)
  key!: ProviderKey;

  @Field(() => String)
  label!: string;

  @Field(() => Boolean)
  installed!: boolean;

  @Field(() => Boolean)
  enabled!: boolean;

  @Field(() => Boolean, { description: 'Every required field is filled in (and the stored settings can be decrypted).' })
  configured!: boolean;

  @Field(() => [String], { description: 'Required fields still blank, by field name.' })
  missingFields!: string[];

  @Field(() => Boolean, { description: 'Installed, enabled and configured: may be chosen as Default Storage.' })
  selectable!: boolean;

  @Field(() => Boolean, { description: 'New results go here now.' })
  active!: boolean;

  @Field(() => String, { nullable: true, description: 'Why it is not selectable, in words for the admin.' })
  problem!: string | null;
}

@ObjectType({ description: 'One entry of the Default Storage selector.' })
export class StorageOption {
  @Field(() => StorageKeyEnum)
  key!: StorageKey;

  @Field(() => String)
  label!: string;
}

@ObjectType()
export class DefaultStorageState {
  @Field(() => StorageOption, { description: 'What the admin chose.' })
  selected!: StorageOption;

  @Field(() => StorageOption, { description: 'Where new results actually go.' })
  effective!: StorageOption;

  @Field(() => Boolean)
  fallbackInEffect!: boolean;

  @Field(() => String, { nullable: true, description: 'Why new results go to local storage although a provider is selected.' })
  fallbackReason!: string | null;
}

@ObjectType()
export class Plugin {
  @Field(() => ID, { description: 'The plugin key, also its provider key: cloudflare-r2, amazon-s3, wasabi.' })
  key!: string;

  @Field(() => ProviderKeyEnum)
  provider!: ProviderKey;

  @Field(() => String)
  name!: string;

  @Field(() => String)
  description!: string;

  @Field(() => PricingEnum)
  pricing!: Pricing;

  @Field(() => Boolean)
  freeForExtendedLicense!: boolean;

  @Field(() => Boolean)
  owned!: boolean;

  @Field(() => Boolean)
  installed!: boolean;

  @Field(() => PluginActionEnum)
  action!: PluginAction;

  @Field(() => String, { nullable: true, description: 'Where PURCHASE leads (PLUGIN_CHECKOUT_URL).' })
  checkoutUrl!: string | null;

  @Field(() => String, { description: 'The admin SPA path of its config screen.' })
  configPath!: string;
}

@ObjectType()
export class ConnectionTestResult {
  @Field(() => Boolean)
  ok!: boolean;

  @Field(() => ConnectionTestStepEnum, { nullable: true, description: 'The step that failed.' })
  step!: ConnectionTestStep | null;

  @Field(() => String, {
    nullable: true,
    description: 'INVALID_CREDENTIALS, BUCKET_NOT_FOUND, ENDPOINT_UNREACHABLE, ACCESS_DENIED, INCOMPLETE_CONFIGURATION, …',
  })
  code!: string | null;

  @Field(() => String)
  message!: string;

  @Field(() => [String], { description: 'Not failures, but worth fixing before go-live (e.g. the Public / CDN URL).' })
  warnings!: string[];

  @Field(() => Int)
  durationMs!: number;
}

// ------------------------------------------------------------------ settings

@ObjectType('ProviderSettings', {
  description: 'One provider’s settings, by field name as its catalog entry in @offload/types lists them (the same for every provider).',
})
export class ProviderSettingsView {
  @Field(() => ProviderKeyEnum)
  provider!: ProviderKey;

  @Field(() => JSONObjectResolver, { description: 'Every field of the provider’s form but its secrets, by name: strings, and true/false for switches.' })
  values!: Record<string, string | boolean>;

  @Field(() => [String], { description: 'The secret fields that have a stored value. Secrets themselves are never returned.' })
  storedSecrets!: string[];

  @Field(() => String, { nullable: true, description: 'The endpoint in use, derived where the settings leave it blank; null means the provider’s default.' })
  endpoint!: string | null;

  @Field(() => Boolean, { description: 'Every required field is filled in (and the stored settings can be decrypted).' })
  configured!: boolean;

  @Field(() => [String], { description: 'Required fields still blank, by field name.' })
  missingFields!: string[];

  @Field(() => String, { nullable: true, description: 'Set when the stored settings cannot be decrypted with the current APP_KEY.' })
  settingsError!: string | null;
}
