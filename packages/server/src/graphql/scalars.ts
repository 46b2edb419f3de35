import { DateTimeISOResolver } from 'graphql-scalars';

/** ISO-8601 date-times, e.g. 2026-11-25T04:19:36.000Z. */
export const DateTime = DateTimeISOResolver;
