import {
  type InfiniteData,
  InfiniteQueryObserver,
  type InfiniteQueryObserverResult,
  QueryClient,
  QueryObserver,
  type QueryObserverResult,
} from '@tanstack/query-core';
import { useEffect, useRef, useState } from 'react';
import type { Appointment, AppointmentPage, Availability } from '../../shared/schemas.js';
import { keys as sharedKeys, STALE } from '../../shared/query.js';
import type { ListKey } from './data.js';

/**
 * The seed's cache keys and stale times on @tanstack/query-core, with two tiny hooks
 * (Ink has no react-query binding of its own). Realtime events and optimistic updates
 * patch these caches; screens re-render from them.
 */
export const LIST_STALE_MS = STALE.list;
export const AVAILABILITY_STALE_MS = STALE.availability;

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      // offline is handled by the TUI (snapshots, queue); retries would only delay that.
      // gcTime Infinity: no garbage-collection timers, which would keep the process alive
      // after quit; a session visits few enough keys to keep them all
      queries: { retry: false, networkMode: 'always', gcTime: Number.POSITIVE_INFINITY },
      mutations: { retry: false, networkMode: 'always' },
    },
  });
}

export const keys = {
  list: (q: ListKey): readonly unknown[] =>
    q.mode === 'user'
      ? sharedKeys.appointments(q.userId, q.filter)
      : sharedKeys.appointments('*', q.q ? { q: q.q } : { date: q.date, tz: q.tz }),
  appointment: sharedKeys.appointment,
  availability: sharedKeys.availability,
};

export function useQ<T>(
  qc: QueryClient,
  key: readonly unknown[],
  fn: () => Promise<T>,
  opts: { staleTime?: number; enabled?: boolean } = {},
): QueryObserverResult<T, Error> {
  const hash = JSON.stringify(key);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const options = {
    queryKey: key,
    queryFn: () => fnRef.current(),
    staleTime: opts.staleTime ?? 0,
    enabled: opts.enabled ?? true,
    placeholderData: (prev: T | undefined) => prev,
  };
  const [observer] = useState(() => new QueryObserver<T, Error>(qc, options as never));
  const [, setTick] = useState(0);
  useEffect(() => observer.subscribe(() => setTick((n) => n + 1)), [observer]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the key hash is the dependency
  useEffect(() => {
    observer.setOptions(options as never);
  }, [hash, opts.enabled]);
  return observer.getOptimisticResult(options as never) as QueryObserverResult<T, Error>;
}

export type ListResult = InfiniteQueryObserverResult<
  InfiniteData<AppointmentPage, string | undefined>,
  Error
>;

export function useList(
  qc: QueryClient,
  q: ListKey,
  fetchPage: (cursor: string | undefined) => Promise<AppointmentPage>,
): ListResult {
  const key = keys.list(q);
  const fnRef = useRef(fetchPage);
  fnRef.current = fetchPage;
  const options = {
    queryKey: key,
    queryFn: ({ pageParam }: { pageParam: string | undefined }) => fnRef.current(pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last: AppointmentPage) => last.nextCursor ?? undefined,
    staleTime: LIST_STALE_MS,
    placeholderData: (prev: unknown) => prev,
  };
  const [observer] = useState(
    () =>
      new InfiniteQueryObserver<AppointmentPage, Error, InfiniteData<AppointmentPage, string | undefined>>(
        qc,
        options as never,
      ),
  );
  const [, setTick] = useState(0);
  const hash = JSON.stringify(key);
  useEffect(() => observer.subscribe(() => setTick((n) => n + 1)), [observer]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the key hash is the dependency
  useEffect(() => {
    observer.setOptions(options as never);
  }, [hash]);
  return observer.getOptimisticResult(options as never) as ListResult;
}

export const itemsOf = (data: InfiniteData<AppointmentPage> | undefined): Appointment[] =>
  data ? data.pages.flatMap((p) => p.items) : [];

/** Replaces an appointment wherever it is cached (lists and detail); returns the old copy. */
export function patchAppointment(qc: QueryClient, next: Appointment): Appointment | undefined {
  let old: Appointment | undefined;
  for (const [key, data] of qc.getQueriesData<InfiniteData<AppointmentPage>>({
    queryKey: ['appointments'],
  })) {
    if (!data?.pages) continue;
    let hit = false;
    const pages = data.pages.map((p) => ({
      ...p,
      items: p.items.map((a) => {
        if (a.id !== next.id) return a;
        hit = true;
        old ??= a;
        return { ...a, ...next };
      }),
    }));
    if (hit) qc.setQueryData(key, { ...data, pages });
  }
  const d = qc.getQueryData<Appointment>(keys.appointment(next.id));
  if (d) {
    old ??= d;
    qc.setQueryData(keys.appointment(next.id), { ...d, ...next });
  }
  return old;
}

/** Marks timeslots as taken/free in a cached availability day. */
export function patchTimeslots(
  qc: QueryClient,
  providerId: string,
  serviceId: string | undefined,
  changes: { timeslotId: string; status: string }[],
): boolean {
  let hit = false;
  const filter = serviceId ? ['availability', providerId, serviceId] : ['availability', providerId];
  for (const [key, data] of qc.getQueriesData<Availability>({ queryKey: filter })) {
    if (!data) continue;
    const byId = new Map(changes.map((c) => [c.timeslotId, c.status]));
    let changed = false;
    const timeslots = data.timeslots.map((t) => {
      const s = byId.get(t.id);
      if (!s || s === t.status) return t;
      changed = true;
      return { ...t, status: s as typeof t.status };
    });
    if (changed) {
      hit = true;
      qc.setQueryData(key, { ...data, timeslots });
    }
  }
  return hit;
}
