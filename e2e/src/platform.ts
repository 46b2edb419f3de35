import type { Page } from 'playwright-core';

/** GraphQL as the admin signed in on `page` (its session cookie), for steps other tests walk through the screens. */
export async function asAdmin<T>(page: Page, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await page.evaluate(
    async ({ query, variables }) => {
      const r = await fetch('/graphql', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query, variables }) });
      return r.json();
    },
    { query, variables },
  );
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data as T;
}

/** A platform token that may finalize and read results, created by the signed-in admin. */
export async function platformToken(page: Page): Promise<string> {
  const data = await asAdmin<{ createApiToken: { token: string } }>(
    page,
    'mutation { createApiToken(input: { name: "studio", scopes: [CREATIVES_WRITE, CREATIVES_READ] }) { token } }',
  );
  return data.createApiToken.token;
}

export interface OffloadedCreative {
  id: string;
  url: string;
  objectKey: string;
  localCopy: boolean;
}

/** What the platform does: finalizes an image on the results disk, then polls until it is offloaded. */
export async function finalizeAndWait(serverUrl: string, token: string, rel: string): Promise<OffloadedCreative> {
  const call = async <T>(query: string, variables: Record<string, unknown>): Promise<T> => {
    const res = await fetch(`${serverUrl}/graphql`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return ((await res.json()) as { data: T }).data;
  };
  const { id } = (
    await call<{ finalizeCreative: { id: string } }>('mutation($i: FinalizeCreativeInput!) { finalizeCreative(input: $i) { id } }', {
      i: { path: rel, studio: 'IMAGE' },
    })
  ).finalizeCreative;
  for (let i = 0; i < 150; i++) {
    const { creative } = await call<{ creative: OffloadedCreative & { offloadStatus: string } }>(
      'query($id: ID!) { creative(id: $id) { id url objectKey localCopy offloadStatus } }',
      { id },
    );
    if (creative.offloadStatus === 'OFFLOADED') return creative;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`creative ${id} was not offloaded`);
}
