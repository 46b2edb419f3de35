import type { ApiScope } from '@offload/types';

/** Who is calling: a signed-in admin, a platform API token, or nobody (null). */
export type Actor =
  { kind: 'admin'; userId: string; email: string; sessionTokenHash: string } | { kind: 'token'; tokenId: string; name: string; scopes: ApiScope[] };
