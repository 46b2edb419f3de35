import { useLazyQuery } from '@apollo/client/react';
import { useEffect } from 'react';
import { PlanMoveResultsDocument, type MoveResultsInput } from '@offload/types/graphql';
import { problemsOf } from '../../app/apollo';

/** Long enough that typing a folder name asks once, short enough to feel immediate. */
const DEBOUNCE_MS = 300;

/**
 * The dry run of the move being filled in: how many results and bytes it would take, asked
 * DEBOUNCE_MS after the form last changed, and again whenever the source's result count changes
 * (a running job moved some away). `current` is false while the answer is for an earlier form.
 */
export function useMovePlan(input: MoveResultsInput | null, sourceResults: number | undefined) {
  const wanted = input && JSON.stringify(input);
  const [plan, result] = useLazyQuery(PlanMoveResultsDocument, { fetchPolicy: 'network-only' });
  useEffect(() => {
    if (!wanted) return;
    // The answer (or the refusal) is read from the hook's result; the promise only settles the call.
    const timer = setTimeout(() => plan({ variables: { input: JSON.parse(wanted) as MoveResultsInput } }).catch(() => undefined), DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [wanted, sourceResults, plan]);

  const current = Boolean(wanted) && !result.loading && JSON.stringify(result.variables?.input) === wanted;
  return {
    current,
    plan: current && !result.error ? result.data?.planMoveResults : undefined,
    /** The server's problems by field (sourceLocationId, filter.pathPrefix, …). */
    problems: current ? problemsOf(result.error) : {},
    error: current ? result.error : undefined,
  };
}
