import { Field, ID, InputType, ObjectType, registerEnumType } from 'type-graphql';
import type { ApiScope as ApiScopeValue } from '@offload/types';
import { DateTime } from '../graphql/scalars.js';

export const ApiScope = { CREATIVES_WRITE: 'creatives:write', CREATIVES_READ: 'creatives:read' } as const satisfies Record<string, ApiScopeValue>;
registerEnumType(ApiScope, {
  name: 'ApiScope',
  description: 'What a platform API token may do.',
  valuesConfig: {
    CREATIVES_WRITE: { description: 'Finalize and delete creatives (creatives:write).' },
    CREATIVES_READ: { description: 'Read creatives and their URLs (creatives:read).' },
  },
});

@ObjectType({ description: 'The signed-in admin.' })
export class AdminViewer {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  email!: string;
}

@ObjectType('ApiToken', { description: 'A platform credential. The token itself is shown only once, when created.' })
export class ApiTokenType {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'The first characters of the token, to tell tokens apart.' })
  prefix!: string;

  @Field(() => [ApiScope])
  scopes!: ApiScopeValue[];

  @Field(() => DateTime)
  createdAt!: Date;

  @Field(() => DateTime, { nullable: true })
  lastUsedAt?: Date | null;

  @Field(() => DateTime, { nullable: true })
  revokedAt?: Date | null;
}

@ObjectType()
export class CreatedApiToken {
  @Field(() => String, { description: 'Send as `Authorization: Bearer <token>`. Shown only now; store it safely.' })
  token!: string;

  @Field(() => ApiTokenType)
  apiToken!: ApiTokenType;
}

@InputType()
export class CreateApiTokenInput {
  @Field(() => String, { description: 'What the token is for, e.g. "Image Studio".' })
  name!: string;

  @Field(() => [ApiScope])
  scopes!: ApiScopeValue[];
}
