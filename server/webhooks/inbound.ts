import { AppError } from '../../shared/errors.js';
import type { Actor } from '../audit/audit.js';
import { setAttention } from '../appointments/write.js';
import type { AppContext } from '../context.js';
import { stmt } from '../db/open.js';
import { newId } from '../ids.js';
import { write } from '../outbox/write.js';
import { rememberSignature } from './signature.js';

export interface DeliveryStatusBody {
  messageId: string;
  status: 'delivered' | 'failed' | 'bounced';
  error?: string;
  at: string;
}

/**
 * A gateway's delivery report. Matched by the gateway's own id first, then by our
 * Message-ID (with or without the angle brackets). The signature is remembered in the
 * same transaction, so a replay is refused only once the first delivery took effect.
 */
export async function applyDeliveryStatus(
  ctx: Pick<AppContext, 'db' | 'clock' | 'bus'>,
  signature: string,
  b: DeliveryStatusBody,
) {
  const at = Date.parse(b.at);
  if (Number.isNaN(at)) throw new AppError('validation', 'at must be an ISO 8601 instant');
  return await write(ctx, async (w) => {
    await rememberSignature(w.db, signature, w.now);
    const bare = b.messageId.replace(/^<|>$/g, '');
    const row = await stmt<{ id: string; appointment_id: string | null; status: string }>(
      w.db,
      `SELECT id, appointment_id, status FROM notifications
        WHERE provider_message_id = ? OR message_id = ? OR message_id = ? ORDER BY created_at LIMIT 1`,
    ).get(b.messageId, b.messageId, `<${bare}>`);
    if (!row) throw new AppError('not_found', `no notification with message id ${b.messageId}`);
    await stmt(
      w.db,
      `UPDATE notifications SET status = ?, last_error = ?, claimed_until = NULL, updated_at = ? WHERE id = ?`,
    ).run(b.status, b.status === 'delivered' ? null : (b.error ?? b.status).slice(0, 500), w.now, row.id);
    return { id: row.id, appointmentId: row.appointment_id, status: b.status };
  });
}

export interface CalendarBody {
  providerId: string;
  busy: { externalId: string; start: string; end: string }[];
  removed: string[];
}

const calendarActor = (providerId: string): Actor => ({
  id: `calendar:${providerId}`,
  type: 'provider',
  role: 'system',
  channel: 'system',
});

/**
 * Busy blocks from a provider's external calendar: upserted / deleted as source
 * 'calendar', availability.changed published for every interval that changed (realtime
 * turns it into timeslot.updated), and active appointments that now collide are flagged
 * for staff — never cancelled: a person decides.
 */
export async function applyCalendarBusy(
  ctx: Pick<AppContext, 'db' | 'clock' | 'bus'>,
  signature: string,
  b: CalendarBody,
) {
  const blocks = b.busy.map((x) => {
    const start = Date.parse(x.start);
    const end = Date.parse(x.end);
    if (Number.isNaN(start) || Number.isNaN(end))
      throw new AppError('validation', `busy ${x.externalId}: start and end must be ISO 8601 instants`);
    if (!(end > start)) throw new AppError('validation', `busy ${x.externalId}: end must be after start`);
    return { externalId: x.externalId, start, end };
  });
  return await write(ctx, async (w) => {
    await rememberSignature(w.db, signature, w.now);
    const p = await stmt<{ id: string }>(w.db, 'SELECT id FROM providers WHERE id = ?').get(b.providerId);
    if (!p) throw new AppError('not_found', `provider ${b.providerId} not found`);
    const existing = stmt<{ start_at: number; end_at: number }>(
      w.db,
      `SELECT start_at, end_at FROM busy_blocks WHERE provider_id = ? AND source = 'calendar' AND external_id = ?`,
    );
    const changed = (startAt: number, endAt: number, reason: string) =>
      w.emit(
        'availability.changed',
        { providerId: b.providerId, startAt, endAt, reason },
        { realtimeOnly: true },
      );
    let upserted = 0;
    let removed = 0;
    const flagged: string[] = [];
    for (const x of blocks) {
      const before = await existing.get(b.providerId, x.externalId);
      if (before && before.start_at === x.start && before.end_at === x.end) continue;
      await stmt(
        w.db,
        `INSERT INTO busy_blocks (id, provider_id, start_at, end_at, source, external_id, reason, created_at)
         VALUES (?, ?, ?, ?, 'calendar', ?, 'external calendar', ?)
         ON CONFLICT (provider_id, source, external_id) DO UPDATE SET start_at = excluded.start_at, end_at = excluded.end_at`,
      ).run(newId(), b.providerId, x.start, x.end, x.externalId, w.now);
      upserted++;
      if (before) changed(before.start_at, before.end_at, 'calendar');
      changed(x.start, x.end, 'calendar');
      const colliding = await stmt<{ id: string }>(
        w.db,
        `SELECT id FROM appointments WHERE provider_id = ? AND status IN ('upcoming','confirmed','rescheduled')
          AND start_at < ? AND end_at > ? ORDER BY start_at`,
      ).all(b.providerId, x.end, x.start);
      for (const a of colliding) {
        await setAttention(
          w.db,
          w,
          calendarActor(b.providerId),
          a.id,
          `external calendar busy (${x.externalId})`,
        );
        flagged.push(a.id);
      }
    }
    for (const ext of b.removed) {
      const before = await existing.get(b.providerId, ext);
      if (!before) continue;
      await stmt(
        w.db,
        `DELETE FROM busy_blocks WHERE provider_id = ? AND source = 'calendar' AND external_id = ?`,
      ).run(b.providerId, ext);
      removed++;
      changed(before.start_at, before.end_at, 'calendar');
    }
    return { providerId: b.providerId, upserted, removed, flagged: [...new Set(flagged)] };
  });
}
