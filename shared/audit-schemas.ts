import { type Static, Type } from '@sinclair/typebox';
import { Iso, Nullable } from './schema-kit.js';

/** The audit log, its verification and the invariant checker, as the API shows them. */

export const AuditEntry = Type.Object({
  id: Type.String(),
  seq: Type.Integer(),
  appointmentId: Nullable(Type.String()),
  action: Type.String(),
  outcome: Type.Union([Type.Literal('applied'), Type.Literal('rejected')]),
  actor: Type.Object({
    id: Type.String({
      description: 'token:<tokenId> for staff, admin and support; the user id for customers',
    }),
    type: Type.String({ description: 'user | staff | admin | provider | system' }),
    name: Nullable(
      Type.String({ description: "who, in words: the token's name, the customer's name, or `system`" }),
    ),
    role: Nullable(Type.String({ description: "the token's role (admin, staff, support, user)" })),
  }),
  channel: Type.String(),
  timestamp: Iso,
  requestId: Nullable(Type.String({ description: "the server's own id of the request that made the entry" })),
  clientRequestId: Type.Optional(
    Nullable(
      Type.String({ description: 'the X-Request-Id the client sent, if any, kept beside the server id' }),
    ),
  ),
  idempotencyKey: Nullable(Type.String()),
  errorCode: Nullable(Type.String()),
  reason: Nullable(Type.String()),
  previousSlot: Nullable(Type.Object({ start: Iso, end: Iso })),
  newSlot: Nullable(Type.Object({ start: Iso, end: Iso })),
  feeCents: Nullable(Type.Integer()),
  metadata: Type.Optional(Type.Unknown()),
  prevHash: Type.String(),
  hash: Type.String(),
});
export type AuditEntry = Static<typeof AuditEntry>;

export const AuditPage = Type.Object({ items: Type.Array(AuditEntry), nextCursor: Nullable(Type.String()) });
export const AuditVerify = Type.Object({
  ok: Type.Boolean(),
  entries: Type.Integer({ description: 'entries walked' }),
  chains: Type.Integer({ description: 'chains walked (one per appointment, plus `admin`)' }),
  firstBadId: Type.Optional(Type.String({ description: 'the first entry that does not verify' })),
  subject: Type.Optional(Type.String({ description: 'the chain with the problem' })),
  problem: Type.Optional(
    Type.Union(
      [Type.Literal('hash'), Type.Literal('link'), Type.Literal('truncated'), Type.Literal('unanchored')],
      {
        description:
          'hash: an entry was changed; link: an entry was removed or reordered; truncated: the newest entries were removed (the chain is shorter than its anchored head); unanchored: a chain and its head disagree otherwise',
      },
    ),
  ),
  detail: Type.Optional(Type.String({ description: 'the problem in words' })),
});
export const CheckResult = Type.Object({
  ok: Type.Boolean(),
  problems: Type.Array(
    Type.Object({ kind: Type.String(), detail: Type.String(), id: Type.Optional(Type.String()) }),
  ),
});
export type CheckResult = Static<typeof CheckResult>;
