import type { CookieOptions } from 'express';
import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { ADMIN_ROLE } from '@offload/types';
import { tooManyRequests } from '../../domain/errors.js';
import type { Context } from '../../graphql/context.js';
import { SESSION_COOKIE } from '../auth.service.js';
import { AdminViewer, ApiTokenType, CreateApiTokenInput, CreatedApiToken } from './auth.types.js';

const cookieOptions = (ctx: Context): CookieOptions => ({
  httpOnly: true,
  sameSite: 'strict',
  secure: ctx.req.secure,
  path: '/',
});

@Resolver()
export class AuthResolver {
  @Query(() => AdminViewer, { nullable: true, description: 'The signed-in admin, or null. Open to anyone: it is how the SPA learns whether to show sign-in.' })
  me(@Ctx() ctx: Context): AdminViewer | null {
    return ctx.actor?.kind === 'admin' ? { id: ctx.actor.userId, email: ctx.actor.email } : null;
  }

  @Mutation(() => AdminViewer, { description: 'Signs an admin in: sets an httpOnly session cookie. Failed attempts are rate limited.' })
  async signIn(@Arg('email', () => String) email: string, @Arg('password', () => String) password: string, @Ctx() ctx: Context): Promise<AdminViewer> {
    // Counted per client address, not per email: a per-email lock would let anyone lock the admin out.
    const key = `ip:${ctx.requestIp}`;
    const wait = await ctx.rateLimits.signIn.retryAfter(key);
    if (wait > 0) throw tooManyRequests('failed sign-ins', wait);
    try {
      const { user, sessionToken, expiresAt } = await ctx.auth.signIn(email, password);
      await ctx.rateLimits.signIn.reset(key);
      ctx.res.cookie(SESSION_COOKIE, sessionToken, { ...cookieOptions(ctx), expires: expiresAt });
      ctx.logger.info({ adminId: user.id }, 'admin signed in');
      return { id: user.id, email: user.email };
    } catch (error) {
      await ctx.rateLimits.signIn.hit(key);
      ctx.logger.warn({ ip: ctx.requestIp }, 'failed sign-in');
      throw error;
    }
  }

  @Mutation(() => Boolean, { description: 'Ends this browser’s session. Safe to call when signed out.' })
  async signOut(@Ctx() ctx: Context): Promise<boolean> {
    if (ctx.actor?.kind === 'admin') await ctx.auth.signOut(ctx.actor.sessionTokenHash);
    ctx.res.clearCookie(SESSION_COOKIE, cookieOptions(ctx));
    return true;
  }

  @Authorized(ADMIN_ROLE)
  @Query(() => [ApiTokenType], { description: 'Every platform API token, newest first, revoked ones included.' })
  apiTokens(@Ctx() ctx: Context): Promise<ApiTokenType[]> {
    return ctx.auth.listApiTokens();
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => CreatedApiToken, { description: 'Creates a platform API token. The token is returned only this once.' })
  async createApiToken(@Arg('input', () => CreateApiTokenInput) input: CreateApiTokenInput, @Ctx() ctx: Context): Promise<CreatedApiToken> {
    const created = await ctx.auth.createApiToken(input.name, input.scopes);
    ctx.logger.info({ apiTokenId: created.apiToken.id, scopes: created.apiToken.scopes }, 'API token created');
    return created;
  }

  @Authorized(ADMIN_ROLE)
  @Mutation(() => ApiTokenType, { description: 'Revokes a token at once. Safe to repeat.' })
  async revokeApiToken(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ApiTokenType> {
    const revoked = await ctx.auth.revokeApiToken(id);
    ctx.logger.info({ apiTokenId: id }, 'API token revoked');
    return revoked;
  }
}
