import { ApiError, type ApiClient, createClient, OfflineError } from '../../shared/client.js';
import type { AppointmentPage } from '../../shared/schemas.js';
import type { ListQuery, TuiData } from './data.js';
import { TuiApiError, TuiOfflineError } from './data.js';

/**
 * TuiData over the shared typed API client (undici). Its ApiError / OfflineError become the
 * TUI's own error types so screens switch on one set.
 */
export function httpData(server: string, token: string, client?: ApiClient): TuiData {
  const c =
    client ?? createClient({ baseUrl: server, token, channel: 'tui', timeoutMs: 8000, maxRetries: 1 });
  const wrap = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (e) {
      if (e instanceof OfflineError) throw new TuiOfflineError(e.message);
      if (e instanceof ApiError) throw new TuiApiError(e.status, e.code, e.detail, e.alternatives ?? []);
      throw e;
    }
  };
  return {
    me: () => wrap(c.me()),
    list(q: ListQuery) {
      if (q.mode === 'user')
        return wrap(c.userAppointments(q.userId, { filter: q.filter, limit: 50, cursor: q.cursor }));
      // a search looks across all days; the day view is one day in the terminal's zone
      if (q.q) return wrap(searchAll(c, q.q));
      return wrap(c.searchAppointments({ date: q.date, tz: q.tz, limit: 50, cursor: q.cursor }));
    },
    detail: async (id) => (await wrap(c.appointment(id))).data,
    availability: (p, s, d) => wrap(c.availability(p, s, d)),
    hold: (body, key) => wrap(c.hold(body, key)),
    release: (t) => wrap(c.release(t)),
    reschedule: async (id, reservationToken, version, key, reason) =>
      (await wrap(c.reschedule(id, { reservationToken, reason }, { idempotencyKey: key, ifMatch: version })))
        .data,
    cancel: async (id, key, version, body) =>
      (await wrap(c.cancel(id, body ?? {}, { idempotencyKey: key, ifMatch: version }))).data,
    quote: (id) => wrap(c.cancellationQuote(id)),
    // a whole day's free slots (the grid's "free for this appointment"), a handful otherwise
    alternatives: (id, kind, date) => wrap(c.alternatives(id, kind, date, kind === 'date' ? 100 : undefined)),
    staffAction: async (id, action, key) => (await wrap(c.action(id, action, key))).data,
    clearAttention: async (id) => (await wrap(c.attention(id, false))).data,
    providers: async () => (await wrap(c.providers())).items,
    close: () => c.close(),
  };
}

/**
 * A search reads every page the server has for its one word (up to 500 rows): the TUI then
 * matches all the typed words and puts upcoming rows first, which one page soonest-first
 * from the oldest history would miss.
 */
async function searchAll(c: ApiClient, q: string): Promise<AppointmentPage> {
  const items: AppointmentPage['items'] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 5; i++) {
    const p = await c.searchAppointments({ q, limit: 100, cursor });
    items.push(...p.items);
    if (!p.nextCursor) return { items, nextCursor: null };
    cursor = p.nextCursor;
  }
  return { items, nextCursor: null };
}
