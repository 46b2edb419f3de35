import type { ProviderSpec, SettingValue } from '@offload/types';
import { InvalidInputError } from '../domain/errors.js';

const MAX_VALUE_LENGTH = 4096;

/**
 * The values given for a provider's fields, checked against its form: a field it does not have,
 * or a value of the wrong kind, is refused by name. Null and undefined mean "keep"; so does a
 * blank secret.
 */
export function settingsInput(spec: ProviderSpec, input: Record<string, unknown>): Record<string, SettingValue> {
  const given: Record<string, SettingValue> = {};
  for (const [name, value] of Object.entries(input)) {
    const field = spec.fields.find((f) => f.name === name);
    if (!field) throw new InvalidInputError(`values.${name} is not a ${spec.label} setting; it has ${spec.fields.map((f) => f.name).join(', ')}`, name);
    if (value === null || value === undefined) continue;
    if (field.kind === 'boolean' ? typeof value !== 'boolean' : typeof value !== 'string') {
      throw new InvalidInputError(`${field.label} must be ${field.kind === 'boolean' ? 'true or false' : 'a string'}`, name);
    }
    if (typeof value === 'string' && value.length > MAX_VALUE_LENGTH)
      throw new InvalidInputError(`${field.label} must be at most ${MAX_VALUE_LENGTH} characters`, name);
    if (field.kind === 'secret' && !(value as string).trim()) continue;
    given[name] = value as SettingValue;
  }
  return given;
}
