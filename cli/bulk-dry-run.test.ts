import { describe, expect, it } from 'vitest';
import type { ApiClient, AppointmentDetail } from '../shared/client.js';
import { createQueryClient } from '../shared/query.js';
import { dryRunItem, slotStart } from './bulk-dry-run.js';

const now = Date.parse('2030-01-07T12:00:00Z');
const detail = (over: Partial<AppointmentDetail> = {}) =>
  ({
    id: 'a1',
    userName: 'Fran Torvalds',
    providerId: 'p1',
    serviceId: 's1',
    serviceTitle: 'Checkup',
    start: '2030-01-08T10:00:00Z',
    timezone: 'Europe/Berlin',
    status: 'confirmed',
    reschedulePolicy: { minNoticeMinutes: 60, text: '' },
    audit: [],
    ...over,
  }) as unknown as AppointmentDetail;
const ts = (iso: string) => `ts_${Buffer.from(`s1|${Date.parse(iso)}`).toString('base64url')}`;
const client = {
  cancellationQuote: async () => ({ priceCents: 5000, feeCents: 0, refundCents: 5000, currency: 'EUR' }),
  availability: async () => ({
    timeslots: [
      { id: ts('2030-01-09T10:00:00Z'), start: '2030-01-09T10:00:00Z', status: 'available' },
      { id: ts('2030-01-09T11:00:00Z'), start: '2030-01-09T11:00:00Z', status: 'reserved' },
    ],
  }),
} as unknown as ApiClient;
const run = (d: AppointmentDetail, action: 'cancel' | 'reschedule', to?: string) =>
  dryRunItem(
    client,
    d,
    { appointmentId: d.id, action, to, line: 1 },
    'bulk:h:a1',
    {},
    createQueryClient(),
    now,
  );

describe('bulk dry run verdicts', () => {
  it('started and inactive appointments would fail with the codes (and exit codes) the server gives', async () => {
    expect((await run(detail({ start: '2030-01-07T11:30:00Z' }), 'cancel')).wouldFail).toMatchObject({
      code: 'appointment_started',
      status: 409,
      exitCode: 3,
    });
    expect(
      (await run(detail({ status: 'no_show' }), 'reschedule', 'next-available')).wouldFail,
    ).toMatchObject({
      code: 'appointment_not_active',
      exitCode: 1,
    });
  });

  it('a held slot is taken, a slot inside the notice is a policy violation, a free one passes', async () => {
    expect((await run(detail(), 'reschedule', ts('2030-01-09T11:00:00Z'))).wouldFail?.code).toBe(
      'slot_taken',
    );
    expect((await run(detail(), 'reschedule', '2030-01-07T12:30:00Z')).wouldFail).toMatchObject({
      code: 'policy_violation',
      status: 422,
    });
    const ok = await run(detail(), 'reschedule', '2030-01-09T10:00:00Z');
    expect(ok).toMatchObject({
      result: 'dry-run',
      customer: 'Fran Torvalds',
      toStart: '2030-01-09T10:00:00Z',
    });
    expect(ok.wouldFail).toBeUndefined();
    expect(slotStart(ts('2030-01-09T10:00:00Z'))).toBe(Date.parse('2030-01-09T10:00:00Z'));
  });

  it('an item this plan already applied is "already", not a failure', async () => {
    const d = detail({
      status: 'cancelled',
      audit: [
        { action: 'cancelled', outcome: 'applied', idempotencyKey: 'bulk:h:a1' },
      ] as AppointmentDetail['audit'],
    });
    expect(await run(d, 'cancel')).toMatchObject({ result: 'already' });
  });
});
