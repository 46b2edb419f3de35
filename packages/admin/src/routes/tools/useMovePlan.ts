import { PlanMoveResultsDocument, type MoveResultsInput } from '@offload/types/graphql';
import { useBulkPlan } from './useBulkPlan';

/**
 * The dry run of the move being filled in: how many results and bytes it would take, asked again
 * whenever the source's result count changes (a running job moved some away).
 */
export function useMovePlan(input: MoveResultsInput | null, sourceResults: number | undefined) {
  return useBulkPlan(PlanMoveResultsDocument, input && { input }, (data) => data.planMoveResults, String(sourceResults));
}
