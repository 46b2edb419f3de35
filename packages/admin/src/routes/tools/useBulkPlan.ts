import { useLazyQuery } from '@apollo/client/react';
import type { OperationVariables, TypedDocumentNode } from '@apollo/client';
import { useEffect } from 'react';
import { problemsOf } from '../../app/apollo';

/** Long enough that typing a number asks once, short enough to feel immediate. */
const DEBOUNCE_MS = 300;

/**
 * The dry run of a bulk tool's form (a move's too): asked DEBOUNCE_MS after `variables`
 * last changed, and again whenever `refresh` changes (a job started or finished). `variables`
 * null: the form is not complete, nothing is asked. `current` is false while the answer is for
 * an earlier form.
 */
export function useBulkPlan<TData, TVariables extends OperationVariables>(
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables | null,
  pick: (data: TData) => { items: number; bytes: number; estimated: boolean },
  refresh?: string,
) {
  const wanted = variables && JSON.stringify(variables);
  const [plan, result] = useLazyQuery(document, { fetchPolicy: 'network-only' });
  useEffect(() => {
    if (!wanted) return;
    // The answer (or the refusal) is read from the hook's result; the promise only settles the call.
    const options = { variables: JSON.parse(wanted) as TVariables };
    const timer = setTimeout(() => (plan as (o: typeof options) => Promise<unknown>)(options).catch(() => undefined), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [wanted, refresh, plan]);

  const current = Boolean(wanted) && !result.loading && JSON.stringify(result.variables ?? {}) === wanted;
  return {
    current,
    plan: current && !result.error && result.data ? pick(result.data as TData) : undefined,
    /** The server's problems by field (locationId, sample, …). */
    problems: current ? problemsOf(result.error) : {},
    error: current ? result.error : undefined,
  };
}
