import { Field, ID, InputType, ObjectType } from 'type-graphql';
import type { ApiScope } from '@offload/types';
import { ApiScopeEnum } from '../../graphql/enums.js';
import { DateTime } from '../../graphql/scalars.js';

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

  @Field(() => [ApiScopeEnum])
  scopes!: ApiScope[];

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

  @Field(() => [ApiScopeEnum])
  scopes!: ApiScope[];
}
