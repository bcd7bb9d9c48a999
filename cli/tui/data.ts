import type {
  Alternative,
  Appointment,
  AppointmentDetail,
  AppointmentPage,
  Availability,
  CancellationQuote,
  CancelResult,
  Me,
  Reservation,
} from '../../shared/schemas.js';
import type { ConfigStore, QueuedAction } from '../config.js';
import { identityOf, memoryQueue, openQueue, type QueueStore } from '../queue/store.js';

export type { QueuedAction };

/**
 * The TUI's view of the server: one small interface the screens call, so tests hand in a
 * fake and the app hands in the HTTP implementation (cli/tui/http-data.ts).
 */
export type ListKey =
  | { mode: 'user'; userId: string; filter: 'upcoming' | 'history' }
  | { mode: 'day'; date: string; tz: string; q?: string };
export type ListQuery = ListKey & { cursor?: string | undefined };

export type AltKind = 'tomorrow' | 'next' | 'date';

export interface TuiData {
  me(): Promise<Me>;
  list(q: ListQuery): Promise<AppointmentPage>;
  detail(id: string): Promise<AppointmentDetail>;
  availability(providerId: string, serviceId: string, date: string): Promise<Availability>;
  /** `idempotencyKey`: a replayed intent's keyed hold (the same key gets the same hold back) */
  hold(
    body: {
      providerId: string;
      serviceId: string;
      timeslotId: string;
      appointmentId: string;
    },
    idempotencyKey?: string,
  ): Promise<Reservation>;
  release(token: string): Promise<void>;
  reschedule(
    id: string,
    reservationToken: string,
    version: number | undefined,
    idempotencyKey: string,
    reason?: string,
  ): Promise<Appointment>;
  cancel(
    id: string,
    idempotencyKey: string,
    version?: number,
    body?: { reason?: string | undefined; waiveFee?: boolean | undefined },
  ): Promise<CancelResult>;
  quote(id: string): Promise<CancellationQuote>;
  alternatives(id: string, kind: AltKind, date?: string): Promise<{ timezone: string; items: Alternative[] }>;
  /** staff: confirm (approve), complete, no-show */
  staffAction?(
    id: string,
    action: 'confirm' | 'complete' | 'no-show',
    idempotencyKey: string,
  ): Promise<Appointment>;
  /** staff: clear the needs-attention flag */
  clearAttention?(id: string): Promise<Appointment>;
  /** every provider (staff follow their availability channels) */
  providers?(): Promise<{ id: string }[]>;
  /** closes kept-alive connections so the process can exit */
  close?(): Promise<void>;
}

/** The server answered with a problem document. */
export class TuiApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly alternatives: Alternative[] = [],
  ) {
    super(message);
    this.name = 'TuiApiError';
  }
}

/** The server could not be reached at all (refused, DNS, timeout). */
export class TuiOfflineError extends Error {
  constructor(message = 'server unreachable') {
    super(message);
    this.name = 'TuiOfflineError';
  }
}

export const isOffline = (e: unknown): boolean =>
  e instanceof TuiOfflineError || (e as { name?: string })?.name === 'OfflineError';

export const isConflict = (e: unknown): e is TuiApiError =>
  e instanceof TuiApiError && (e.code === 'slot_taken' || e.code === 'reservation_expired');

export function errorText(e: unknown): string {
  if (e instanceof TuiApiError) return `${e.code}: ${e.message}`;
  return (e as Error)?.message ?? String(e);
}

/** A clock the countdown reads; tests move it by hand. */
export interface TuiClock {
  now(): number;
  /** calls cb every `ms`; returns a stop function */
  every(ms: number, cb: () => void): () => void;
}

export const systemClock: TuiClock = {
  now: () => Date.now(),
  every(ms, cb) {
    const t = setInterval(cb, ms);
    return () => clearInterval(t);
  },
};

export class ManualTuiClock implements TuiClock {
  private cbs = new Set<() => void>();
  constructor(private t: number) {}
  now() {
    return this.t;
  }
  every(_ms: number, cb: () => void) {
    this.cbs.add(cb);
    return () => void this.cbs.delete(cb);
  }
  advance(ms: number) {
    this.t += ms;
    for (const cb of [...this.cbs]) cb();
  }
}

/** Local persistence: list snapshots with their fetch time and the offline queue (shared with the CLI). */
export interface TuiStore {
  getSnapshot<T = unknown>(key: string): { at: string; data: T } | undefined;
  setSnapshot(key: string, data: unknown, at: string): void;
  queue(): QueuedAction[];
  enqueue(a: QueuedAction): Promise<void>;
  dequeue(id: string): Promise<void>;
  /** marks a refused replay: it stays queued (never dropped) until replayed or dropped by hand */
  markFailed(id: string, error: NonNullable<QueuedAction['lastError']>): Promise<void>;
  /** the shared offline queue (cli/queue) behind the four calls above; replays go through it */
  queueStore: QueueStore;
}

export function memoryStore(): TuiStore {
  const snaps = new Map<string, { at: string; data: unknown }>();
  return {
    getSnapshot: <T>(k: string) => snaps.get(k) as { at: string; data: T } | undefined,
    setSnapshot: (k, data, at) => void snaps.set(k, { at, data }),
    ...queueCalls(memoryQueue()),
  };
}

/** The four queue calls the TUI makes, over the shared queue. */
function queueCalls(
  q: QueueStore,
): Pick<TuiStore, 'queue' | 'enqueue' | 'dequeue' | 'markFailed' | 'queueStore'> {
  return {
    queueStore: q,
    queue: () => q.mine(),
    enqueue: async (a) => void q.add({ ...a, version: a.version ?? null }),
    dequeue: async (id) => void q.drop(id),
    markFailed: async (id, lastError) => q.refuse(id, lastError),
  };
}

/**
 * The CLI's stores as a TuiStore: snapshots from the config store, the offline queue from
 * the shared queue file of this login, so `appt queue list|replay` sees what the TUI queued.
 */
export function configTuiStore(
  store: ConfigStore,
  server: string,
  token = '',
  me?: { tokenId?: string; userId?: string | undefined; name?: string },
): TuiStore {
  return {
    getSnapshot: <T>(k: string) => {
      const s = store.snapshot<T>(k);
      return s && s.server === server ? { at: s.at, data: s.data } : undefined;
    },
    setSnapshot: (k, data, at) => store.saveSnapshot(k, server, data, new Date(at)),
    ...queueCalls(openQueue(store.dir, identityOf({ server, token, me }))),
  };
}

/** Realtime events the TUI reacts to (payloads as the server publishes them). */
export type RealtimeEvent =
  | { type: 'booking'; event: string; appointment?: Appointment; appointmentId?: string }
  | {
      type: 'timeslot';
      providerId: string;
      serviceId?: string;
      date?: string;
      timeslotId?: string;
      status?: string;
      changes?: { timeslotId: string; status: string }[];
    };

export interface RealtimeFeed {
  /** starts listening; returns a stop function */
  start(
    sub: { userId?: string; userIds?: string[]; providerIds: string[] },
    onEvent: (e: RealtimeEvent) => void,
    onState: (s: 'connected' | 'connecting' | 'disconnected' | 'polling') => void,
  ): () => void;
}

/**
 * Ink hands a burst of keys (a fast typist, tmux send-keys, a held key) to useInput as one
 * string; this splits plain-character bursts so each key acts once. Handlers use functional
 * state updates, so consecutive calls in one burst compose.
 */
export function eachKey<K extends object>(handler: (input: string, key: K) => void) {
  return (input: string, key: K & { ctrl?: boolean; meta?: boolean }) => {
    if (input.length > 1 && !key.ctrl && !key.meta && !input.startsWith('\x1b')) {
      const blank = Object.fromEntries(Object.keys(key).map((k) => [k, false])) as K;
      // control characters inside a burst keep their meaning: a run of Backspaces deletes
      // as many characters (it was typed into a field as text before)
      for (const ch of input) {
        if (ch === '\r') handler('', { ...blank, return: true } as K);
        else if (ch === '\x7f' || ch === '\b') handler('', { ...blank, backspace: true } as K);
        else if (ch === '\t') handler('', { ...blank, tab: true } as K);
        else if (ch === '\x15') handler('u', { ...blank, ctrl: true } as K);
        else handler(ch, blank);
      }
      return;
    }
    handler(input, key);
  };
}
