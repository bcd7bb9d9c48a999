import { Type } from '@sinclair/typebox';
import { CancellationSettings } from './schemas.js';

/**
 * Editing and removing catalog entries (issue 13). A removal is soft: the row stays for the
 * appointments and audit entries that name it, and leaves every list and every new booking.
 * Refused with 409 `has_active_appointments` while active appointments or live holds use it.
 */
export const UpdateService = Type.Object(
  {
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    durationMinutes: Type.Optional(Type.Integer({ minimum: 5, maximum: 720 })),
    priceCents: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000_000 })),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
    bufferBeforeMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 240 })),
    bufferAfterMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 240 })),
    slotStepMinutes: Type.Optional(Type.Integer({ minimum: 5, maximum: 720 })),
    minNoticeMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 60 * 24 * 60 })),
    maxAdvanceDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3 * 365 })),
    requiresApproval: Type.Optional(Type.Boolean()),
    cancellation: Type.Optional(Type.Union([Type.Null(), CancellationSettings])),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const Removed = Type.Object({
  id: Type.String(),
  removed: Type.Literal(true),
  removedAt: Type.String({ format: 'date-time' }),
});
