import { type Static, Type } from '@sinclair/typebox';

/**
 * Request and response bodies. The server validates with them, the OpenAPI document is
 * generated from them and the API client takes its types from them.
 */

import { Day, Id, Iso, Nullable } from './schema-kit.js';
import { AuditEntry } from './audit-schemas.js';

export * from './audit-schemas.js';

export const AppointmentStatus = Type.Union(
  ['upcoming', 'confirmed', 'rescheduled', 'cancelled', 'completed', 'no_show'].map((s) => Type.Literal(s)),
);
export type AppointmentStatus =
  | 'upcoming'
  | 'confirmed'
  | 'rescheduled'
  | 'cancelled'
  | 'completed'
  | 'no_show';
export const ACTIVE: readonly AppointmentStatus[] = ['upcoming', 'confirmed', 'rescheduled'];

export const CancellationPolicy = Type.Object({
  refundableUntil: Iso,
  feeCents: Type.Integer(),
  freeUntilHoursBefore: Type.Integer(),
  text: Type.String(),
});

export const ReschedulePolicy = Type.Object({ minNoticeMinutes: Type.Integer(), text: Type.String() });

export const NotificationStatus = Type.Object({
  id: Type.String(),
  channel: Type.String(),
  recipient: Type.String(),
  template: Type.String(),
  status: Type.String(),
  attempts: Type.Integer(),
  lastError: Nullable(Type.String()),
  messageId: Type.Optional(
    Type.String({
      description:
        'the stable Message-ID of this notification (event id + recipient): the key a delivery webhook names (`POST /webhooks/notifications`)',
    }),
  ),
  updatedAt: Iso,
});

export const Appointment = Type.Object({
  id: Type.String(),
  userId: Type.String(),
  userName: Type.String(),
  providerId: Type.String(),
  providerName: Type.String(),
  serviceId: Type.String(),
  serviceTitle: Type.String(),
  start: Iso,
  end: Iso,
  timezone: Type.String({ description: "the provider's IANA zone" }),
  status: AppointmentStatus,
  priceCents: Type.Integer(),
  currency: Type.String(),
  version: Type.Integer(),
  rescheduleCount: Type.Integer(),
  previousStart: Nullable(Iso),
  previousEnd: Nullable(Iso),
  cancelledAt: Nullable(Iso),
  cancelReason: Nullable(Type.String()),
  feeCents: Nullable(Type.Integer()),
  refundCents: Nullable(Type.Integer()),
  needsAttention: Type.Boolean(),
  attentionReason: Nullable(Type.String()),
  cancellationPolicy: CancellationPolicy,
  createdAt: Iso,
  updatedAt: Iso,
});
export type Appointment = Static<typeof Appointment>;

export const AppointmentDetail = Type.Composite([
  Appointment,
  Type.Object({
    reschedulePolicy: ReschedulePolicy,
    audit: Type.Array(AuditEntry),
    notifications: Type.Array(NotificationStatus),
  }),
]);
export type AppointmentDetail = Static<typeof AppointmentDetail>;

export const AppointmentPage = Type.Object({
  items: Type.Array(Appointment),
  nextCursor: Nullable(Type.String()),
});
export type AppointmentPage = Static<typeof AppointmentPage>;

export const TimeslotStatus = Type.Union(
  ['available', 'reserved', 'booked', 'blocked'].map((s) => Type.Literal(s)),
);
export type TimeslotStatus = 'available' | 'reserved' | 'booked' | 'blocked';
export const Timeslot = Type.Object({ id: Type.String(), start: Iso, end: Iso, status: TimeslotStatus });
export type Timeslot = Static<typeof Timeslot>;

export const Availability = Type.Object({
  providerId: Type.String(),
  serviceId: Type.String(),
  date: Day,
  timezone: Type.String(),
  timeslots: Type.Array(Timeslot),
});
export type Availability = Static<typeof Availability>;

export const Alternative = Type.Object({
  timeslotId: Type.String(),
  start: Iso,
  end: Iso,
  deltaMinutes: Type.Integer({
    description: 'minutes from the wanted (or current) start; negative = earlier',
  }),
  priceDeltaCents: Type.Integer(),
});
export type Alternative = Static<typeof Alternative>;
export const Alternatives = Type.Object({
  appointmentId: Type.String(),
  kind: Type.String(),
  timezone: Type.String(),
  items: Type.Array(Alternative),
});

export const CreateReservation = Type.Object(
  {
    providerId: Id,
    serviceId: Id,
    timeslotId: Id,
    userId: Type.Optional(Id),
    appointmentId: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export const Reservation = Type.Object({
  reservationToken: Type.String(),
  expiresAt: Iso,
  timeslotId: Type.String(),
  start: Iso,
  end: Iso,
});
export type Reservation = Static<typeof Reservation>;

export const IdemKey = Type.String({ minLength: 1, maxLength: 255 });
export const CreateBooking = Type.Object(
  { reservationToken: Id, userId: Id, idempotencyKey: Type.Optional(IdemKey) },
  { additionalProperties: false },
);
export const RescheduleBody = Type.Object(
  {
    reservationToken: Id,
    idempotencyKey: Type.Optional(IdemKey),
    reason: Type.Optional(Type.String({ maxLength: 1000 })),
    appointmentId: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export const CancelBody = Type.Object(
  {
    idempotencyKey: Type.Optional(IdemKey),
    reason: Type.Optional(Type.String({ maxLength: 1000 })),
    waiveFee: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export const ActionBody = Type.Object(
  { idempotencyKey: Type.Optional(IdemKey), reason: Type.Optional(Type.String({ maxLength: 1000 })) },
  { additionalProperties: false },
);
export const CancelResult = Type.Object({
  appointment: Appointment,
  feeCents: Type.Integer(),
  refundCents: Type.Integer(),
});
export type CancelResult = Static<typeof CancelResult>;

export const CancellationQuote = Type.Object({
  appointmentId: Type.String(),
  priceCents: Type.Integer(),
  feeCents: Type.Integer(),
  refundCents: Type.Integer(),
  currency: Type.String(),
  refundableUntil: Iso,
  policy: Type.String(),
  asOf: Iso,
});
export type CancellationQuote = Static<typeof CancellationQuote>;

export const Me = Type.Object({
  tokenId: Type.String(),
  name: Type.String(),
  role: Type.String(),
  userId: Type.Optional(Type.String()),
});
export type Me = Static<typeof Me>;

// ---- catalog / admin ----
export const Provider = Type.Object({
  id: Type.String(),
  name: Type.String(),
  timezone: Type.String(),
  email: Nullable(Type.String()),
  caldavUrl: Nullable(
    Type.String({
      description:
        'the CalDAV collection URL, without credentials; shown to admins only (null for everyone else)',
    }),
  ),
  caldavConfigured: Type.Boolean({ description: 'whether appointments are pushed to a CalDAV calendar' }),
  createdAt: Iso,
});
export type Provider = Static<typeof Provider>;
/** Write-only: accepted on create and update, never returned by any route. */
const CaldavSecrets = {
  caldavUsername: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 500 })])),
  caldavPassword: Type.Optional(
    Type.Union([Type.Null(), Type.String({ maxLength: 2000, description: 'write-only' })]),
  ),
  caldavToken: Type.Optional(
    Type.Union([Type.Null(), Type.String({ maxLength: 4000, description: 'write-only bearer token' })]),
  ),
};
export const CreateProvider = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    timezone: Type.String({ minLength: 1, maxLength: 64 }),
    email: Type.Optional(Type.String({ format: 'email', maxLength: 320 })),
    caldavUrl: Type.Optional(Type.String({ maxLength: 2000 })),
    ...CaldavSecrets,
  },
  { additionalProperties: false },
);
export const UpdateProvider = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    // null first: with type coercion on, a string branch would turn null into ""
    email: Type.Optional(Type.Union([Type.Null(), Type.String({ format: 'email', maxLength: 320 })])),
    caldavUrl: Type.Optional(Type.Union([Type.Null(), Type.String({ maxLength: 2000 })])),
    ...CaldavSecrets,
  },
  { additionalProperties: false, minProperties: 1 },
);

export const CancellationSettings = Type.Object(
  {
    freeUntilHoursBefore: Type.Integer({ minimum: 0, maximum: 24 * 365 }),
    feeCents: Type.Integer({ minimum: 0, maximum: 100_000_000 }),
  },
  { additionalProperties: false },
);
export const Service = Type.Object({
  id: Type.String(),
  providerId: Type.String(),
  title: Type.String(),
  durationMinutes: Type.Integer(),
  bufferBeforeMinutes: Type.Integer(),
  bufferAfterMinutes: Type.Integer(),
  slotStepMinutes: Type.Integer(),
  minNoticeMinutes: Type.Integer(),
  maxAdvanceDays: Type.Integer(),
  priceCents: Type.Integer(),
  currency: Type.String(),
  requiresApproval: Type.Boolean(),
  cancellation: Nullable(Type.Object({ freeUntilHoursBefore: Type.Integer(), feeCents: Type.Integer() })),
  createdAt: Iso,
});
export type Service = Static<typeof Service>;
export const CreateService = Type.Object(
  {
    providerId: Id,
    title: Type.String({ minLength: 1, maxLength: 200 }),
    durationMinutes: Type.Integer({ minimum: 5, maximum: 720 }),
    priceCents: Type.Integer({ minimum: 0, maximum: 100_000_000 }),
    currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
    bufferBeforeMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 240 })),
    bufferAfterMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 240 })),
    slotStepMinutes: Type.Optional(Type.Integer({ minimum: 5, maximum: 720 })),
    minNoticeMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 60 * 24 * 60 })),
    maxAdvanceDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3 * 365 })),
    requiresApproval: Type.Optional(Type.Boolean()),
    cancellation: Type.Optional(CancellationSettings),
  },
  { additionalProperties: false },
);
export const HoursBody = Type.Array(
  Type.Object(
    {
      weekday: Type.Integer({ minimum: 1, maximum: 7, description: 'ISO weekday, Monday = 1' }),
      start: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' }),
      end: Type.String({ pattern: '^(([01]\\d|2[0-3]):[0-5]\\d|24:00)$' }),
    },
    { additionalProperties: false },
  ),
  { maxItems: 100 },
);
export const TimeOffBody = Type.Object(
  { start: Iso, end: Iso, reason: Type.Optional(Type.String({ maxLength: 500 })) },
  { additionalProperties: false },
);
export const TimeOff = Type.Object({
  id: Type.String(),
  providerId: Type.String(),
  start: Iso,
  end: Iso,
  source: Type.String(),
  externalId: Nullable(Type.String()),
  reason: Nullable(Type.String()),
});
export const User = Type.Object({
  id: Type.String(),
  name: Type.String(),
  email: Type.String(),
  phone: Nullable(Type.String()),
  createdAt: Iso,
});
export type User = Static<typeof User>;
export const CreateUser = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    email: Type.String({ format: 'email', maxLength: 320 }),
    phone: Type.Optional(Type.String({ pattern: '^\\+?[0-9 ()-]{3,32}$' })),
  },
  { additionalProperties: false },
);
export const Role = Type.Union([
  Type.Literal('admin'),
  Type.Literal('staff'),
  Type.Literal('support'),
  Type.Literal('user'),
]);
export type Role = 'admin' | 'staff' | 'support' | 'user';
export const CreateToken = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    role: Role,
    userId: Type.Optional(Id),
    expiresAt: Type.Optional(Iso),
  },
  { additionalProperties: false },
);
export const TokenInfo = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Type.String(),
  userId: Nullable(Type.String()),
  createdAt: Iso,
  expiresAt: Nullable(Iso),
  revokedAt: Nullable(Iso),
  lastUsedAt: Nullable(Iso),
});
export const CreatedToken = Type.Object({
  id: Type.String(),
  token: Type.String({ description: 'shown once' }),
});

export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    alternatives: Type.Optional(Type.Array(Alternative)),
  },
  { additionalProperties: true, $id: 'Problem' },
);
