import { type Actor, appendAudit } from '../audit/audit.js';
import { type Db, stmt } from '../db/open.js';
import { newId } from '../ids.js';

const actor: Actor = { id: 'test-bulk', type: 'staff', role: 'staff', channel: 'system' };

/**
 * Fills a database with `n` past, completed appointments of one provider (30 minutes each,
 * back to back, so nothing overlaps), each with the two audit entries of its life —
 * `created` and `completed`, appended with the real appendAudit so every chain verifies —
 * and version 2 to match. Direct SQL in transactions of `batch`, for speed: a big database
 * for the tests of the expensive checks, clean for checkInvariants.
 */
export async function fillAppointments(
  db: Db,
  o: { n: number; providerId: string; serviceId: string; userId: string; before: number; batch?: number },
): Promise<void> {
  const step = 30 * 60_000;
  const first = o.before - o.n * step - 86_400_000;
  const batch = o.batch ?? 5_000;
  for (let from = 0; from < o.n; from += batch) {
    await db.transaction(async (tx) => {
      const insert = stmt(
        tx,
        `INSERT INTO appointments (id, user_id, provider_id, service_id, start_at, end_at, block_start, block_end,
          status, price_cents, currency, version, reschedule_count, needs_attention, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'completed', 5000, 'USD', 2, 0, 0, ?, ?)`,
      );
      for (let i = from; i < Math.min(o.n, from + batch); i++) {
        const id = newId();
        const start = first + i * step;
        const end = start + step;
        const created = start - 86_400_000;
        await insert.run(id, o.userId, o.providerId, o.serviceId, start, end, start, end, created, end);
        await appendAudit(tx, {
          appointmentId: id,
          action: 'created',
          outcome: 'applied',
          actor,
          newStart: start,
          newEnd: end,
          timestamp: created,
        });
        await appendAudit(tx, {
          appointmentId: id,
          action: 'completed',
          outcome: 'applied',
          actor,
          timestamp: end,
        });
      }
    });
  }
}
