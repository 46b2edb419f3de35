import type { AuthChecker } from 'type-graphql';
import { ADMIN_ROLE, type Requirement } from '@offload/types';
import type { Context } from '../../graphql/context.js';
import { RefusedError } from '../../domain/errors.js';
import { unauthenticated } from '../auth.service.js';

/**
 * The one place roles are checked. `@Authorized()` needs any signed-in caller;
 * `@Authorized(ADMIN_ROLE)` an admin; `@Authorized('creatives:write', …)` an admin or a token
 * holding one of the listed scopes.
 */
export const SIGN_IN_REQUIRED = 'Sign in, or send an API token, to do this';

export const authChecker: AuthChecker<Context, Requirement> = ({ context }, requirements) => {
  const { actor } = context;
  if (!actor) throw unauthenticated(SIGN_IN_REQUIRED);
  if (actor.kind === 'admin' || requirements.length === 0) return true;
  if (requirements.some((r) => r !== ADMIN_ROLE && actor.scopes.includes(r))) return true;
  const needed = requirements.filter((r) => r !== ADMIN_ROLE);
  throw new RefusedError('FORBIDDEN', needed.length ? `This API token needs the ${needed.join(' or ')} scope for this` : 'Only a signed-in admin can do this');
};
