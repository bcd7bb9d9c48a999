import type { ApiClient } from '../../shared/client.js';
import type { ReplayPort } from './replay.js';

/** The replay's view of the shared API client (CLI). */
export function apiPort(c: ApiClient): ReplayPort {
  return {
    detail: async (id) => (await c.appointment(id)).data,
    cancel: async (id, body, key, version) =>
      (await c.cancel(id, body, { idempotencyKey: key, ifMatch: version })).data,
    hold: (body, key) => c.hold(body, key),
    reschedule: async (id, body, key, version) =>
      (await c.reschedule(id, body, { idempotencyKey: key, ifMatch: version })).data,
  };
}
