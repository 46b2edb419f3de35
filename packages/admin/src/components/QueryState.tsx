import type { ReactNode } from 'react';
import { describeError } from '../app/apollo';

type Props<TData> = {
  /** What `useQuery` returned. */
  query: { data?: TData; loading: boolean; error?: unknown };
  /** When the answer has nothing to show, `message` stands where the list would be. */
  empty?: { when: (data: TData) => boolean; message: ReactNode };
  /** Added to each state's paragraph (`content` pads one shown outside the page's main). */
  className?: string;
  children: (data: TData) => ReactNode;
};

/**
 * One query's loading, empty and error states, said the same way on every screen. What is
 * already loaded stays on screen while it reloads or loads more, and when a reload fails.
 */
export function QueryState<TData>({ query: { data, loading, error }, empty, className, children }: Props<TData>) {
  const classes = (state?: string) => [className, state].filter(Boolean).join(' ') || undefined;
  return (
    <>
      {error ? (
        <p role="alert" className={classes('error')}>
          {describeError(error)}
        </p>
      ) : null}
      {data !== undefined && (empty?.when(data) ? <p className={classes('muted')}>{empty.message}</p> : children(data))}
      {loading && (
        <p role="status" className={classes()}>
          Loading…
        </p>
      )}
    </>
  );
}
