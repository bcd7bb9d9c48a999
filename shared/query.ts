import { QueryClient } from '@tanstack/query-core';

/**
 * The seed's react-query keys and stale times, shared by the CLI and the TUI so realtime
 * patches and invalidations hit the same entries wherever they are cached.
 */

export const STALE = {
  /** appointment lists and the day view */
  list: 30_000,
  /** one appointment's detail */
  detail: 30_000,
  availability: 15_000,
} as const;

export type ListFilter = 'upcoming' | 'history' | Record<string, unknown>;

export const keys = {
  appointments: (userId: string, filter: ListFilter) => ['appointments', userId, filter] as const,
  /** prefix matching every list of one user (or of everyone with `undefined`) */
  appointmentsAll: (userId?: string) =>
    userId ? (['appointments', userId] as const) : (['appointments'] as const),
  appointment: (id: string) => ['appointment', id] as const,
  availability: (providerId: string, serviceId: string, date: string) =>
    ['availability', providerId, serviceId, date] as const,
  availabilityOf: (providerId: string) => ['availability', providerId] as const,
};

export function createQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: STALE.list,
        // the client has its own bounded 429 retry; failures surface at once (offline mode)
        retry: false,
        refetchOnWindowFocus: false,
        refetchOnReconnect: false,
      },
    },
  });
}

/** Stale time for a key, by its first element. */
export function staleTimeFor(key: readonly unknown[]): number {
  return key[0] === 'availability'
    ? STALE.availability
    : key[0] === 'appointment'
      ? STALE.detail
      : STALE.list;
}

/** Query options with the right stale time, for `queryClient.fetchQuery(...)`. */
export function queryOptions<T>(key: readonly unknown[], fn: () => Promise<T>) {
  return { queryKey: key as unknown[], queryFn: fn, staleTime: staleTimeFor(key) };
}
