import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
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

  @Field(() => String, { nullable: true, description: 'INVALID_CREDENTIALS, BUCKET_NOT_FOUND, ENDPOINT_UNREACHABLE, ACCESS_DENIED, INCOMPLETE_CONFIGURATION, …' })
  code!: string | null;

  @Field(() => String)
  message!: string;

  @Field(() => [String], { description: 'Not failures, but worth fixing before go-live (e.g. the Public / CDN URL).' })
  warnings!: string[];

  @Field(() => Int)
  durationMs!: number;
}

// ------------------------------------------------------------------ settings

@ObjectType({ description: 'What every provider’s settings have in common.' })
abstract class ProviderSettingsBase {
  @Field(() => Boolean)
  enabled!: boolean;

  @Field(() => Boolean)
  deleteLocalCopy!: boolean;

  @Field(() => String)
  accessKeyId!: string;

  @Field(() => Boolean, { description: 'A secret access key is stored. The secret itself is never returned.' })
  hasSecretAccessKey!: boolean;

  @Field(() => String)
  bucket!: string;

  @Field(() => String)
  publicUrl!: string;

  @Field(() => String)
  keyPrefix!: string;

  @Field(() => Boolean)
  usePathStyleEndpoint!: boolean;

  @Field(() => Boolean)
  configured!: boolean;

  @Field(() => [String])
  missingFields!: string[];

  @Field(() => String, { nullable: true, description: 'Set when the stored settings cannot be decrypted with the current APP_KEY.' })
  settingsError!: string | null;
}

@ObjectType()
export class CloudflareR2Settings extends ProviderSettingsBase {
  @Field(() => String)
  accountId!: string;

  @Field(() => String)
  customEndpoint!: string;

  @Field(() => String, { nullable: true, description: 'The endpoint in use: the custom one, or derived from the account id.' })
  endpoint!: string | null;

  @Field(() => String, { description: 'Always auto for R2.' })
  region!: string;
}

@ObjectType()
export class AmazonS3Settings extends ProviderSettingsBase {
  @Field(() => String)
  region!: string;

  @Field(() => String, { description: 'As configured; blank means AWS.' })
  endpoint!: string;

  @Field(() => String, { nullable: true, description: 'The endpoint in use; null means the AWS endpoint for the region.' })
  effectiveEndpoint!: string | null;
}

@ObjectType()
export class WasabiSettings extends ProviderSettingsBase {
  @Field(() => String)
  region!: string;

  @Field(() => String, { description: 'As configured; blank means derived from the region.' })
  endpoint!: string;

  @Field(() => String, { nullable: true, description: 'The endpoint in use.' })
  effectiveEndpoint!: string | null;
}

@InputType()
abstract class ProviderSettingsInputBase {
  @Field(() => Boolean, { nullable: true })
  enabled?: boolean;

  @Field(() => Boolean, { nullable: true })
  deleteLocalCopy?: boolean;

  @Field(() => String, { nullable: true })
  accessKeyId?: string;

  @Field(() => String, { nullable: true, description: 'Write-only. Blank or omitted keeps the stored secret.' })
  secretAccessKey?: string;

  @Field(() => String, { nullable: true })
  bucket?: string;

  @Field(() => String, { nullable: true })
  publicUrl?: string;

  @Field(() => String, { nullable: true })
  keyPrefix?: string;

  @Field(() => Boolean, { nullable: true })
  usePathStyleEndpoint?: boolean;
}

@InputType({ description: 'Omitted fields keep their stored values; an empty string clears one.' })
export class CloudflareR2SettingsInput extends ProviderSettingsInputBase {
  @Field(() => String, { nullable: true })
  accountId?: string;

  @Field(() => String, { nullable: true })
  customEndpoint?: string;
}

@InputType({ description: 'Omitted fields keep their stored values; an empty string clears one.' })
export class AmazonS3SettingsInput extends ProviderSettingsInputBase {
  @Field(() => String, { nullable: true })
  region?: string;

  @Field(() => String, { nullable: true })
  endpoint?: string;
}

@InputType({ description: 'Omitted fields keep their stored values; an empty string clears one.' })
export class WasabiSettingsInput extends AmazonS3SettingsInput {}
