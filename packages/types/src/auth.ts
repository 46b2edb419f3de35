/** What a platform API token may be granted. */
export const API_SCOPES = ['creatives:write', 'creatives:read'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** Signed-in admins hold this role; it satisfies every requirement. */
export const ADMIN_ROLE = 'ADMIN';

/** What an operation may require: the admin role or one token scope. */
export type Requirement = typeof ADMIN_ROLE | ApiScope;
