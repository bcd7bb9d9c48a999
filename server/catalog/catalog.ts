import type { Static } from '@sinclair/typebox';
import { AppError } from '../../shared/errors.js';
import type {
  CreateProvider,
  CreateService,
  CreateUser,
  Provider,
  Service,
  User,
} from '../../shared/schemas.js';
import { iso, isValidZone } from '../../shared/time.js';
import type { Actor } from '../audit/audit.js';
import { appendAudit } from '../audit/audit.js';
import { type Db, guarded, isConstraintError, stmt } from '../db/open.js';
import { newId, randomToken } from '../ids.js';
import type { WriteScope } from '../outbox/write.js';
import { saveCaldavCredentials, splitUrlCredentials } from './credentials.js';

// working hours and time off live in ./schedule.ts; callers keep importing them from here
export { addTimeOff, type BusyRow, listTimeOff, setHours, toTimeOff } from './schedule.js';

export interface ProviderRow {
  id: string;
  name: string;
  timezone: string;
  email: string | null;
  caldav_url: string | null;
  feed_token: string;
  created_at: number;
  /** removed by an admin (./edit.ts): kept for history, gone from lists and new holds */
  retired_at?: number | null;
}

export interface ServiceRow {
  id: string;
  provider_id: string;
  title: string;
  duration_minutes: number;
  buffer_before_minutes: number;
  buffer_after_minutes: number;
  slot_step_minutes: number;
  min_notice_minutes: number;
  max_advance_days: number;
  price_cents: number;
  currency: string;
  requires_approval: number;
  cancel_free_until_hours_before: number | null;
  cancel_fee_cents: number | null;
  created_at: number;
  retired_at?: number | null;
}

export interface UserRow {
  id: string;
  name: string;
  email: string;
  phone: string | null;
  created_at: number;
}

/**
 * A provider as the API shows it. The CalDAV URL is an admin's business: everyone else
 * gets null (a customer token must learn nothing about the clinic's calendar server).
 * Credentials are never part of it (see ./credentials.ts).
 */
export const toProvider = (r: ProviderRow, o: { admin?: boolean } = { admin: true }): Provider => ({
  id: r.id,
  name: r.name,
  timezone: r.timezone,
  email: r.email,
  caldavUrl: o.admin && r.caldav_url ? splitUrlCredentials(r.caldav_url).url : null,
  caldavConfigured: r.caldav_url !== null && r.caldav_url !== '',
  createdAt: iso(r.created_at),
});

export const toService = (r: ServiceRow): Service => ({
  id: r.id,
  providerId: r.provider_id,
  title: r.title,
  durationMinutes: r.duration_minutes,
  bufferBeforeMinutes: r.buffer_before_minutes,
  bufferAfterMinutes: r.buffer_after_minutes,
  slotStepMinutes: r.slot_step_minutes,
  minNoticeMinutes: r.min_notice_minutes,
  maxAdvanceDays: r.max_advance_days,
  priceCents: r.price_cents,
  currency: r.currency,
  requiresApproval: r.requires_approval === 1,
  cancellation:
    r.cancel_free_until_hours_before === null
      ? null
      : { freeUntilHoursBefore: r.cancel_free_until_hours_before, feeCents: r.cancel_fee_cents ?? 0 },
  createdAt: iso(r.created_at),
});

export const toUser = (r: UserRow): User => ({
  id: r.id,
  name: r.name,
  email: r.email,
  phone: r.phone,
  createdAt: iso(r.created_at),
});

/** The slot-arithmetic view of a service row. */
export function serviceShape(r: ServiceRow) {
  return {
    id: r.id,
    durationMinutes: r.duration_minutes,
    bufferBeforeMinutes: r.buffer_before_minutes,
    bufferAfterMinutes: r.buffer_after_minutes,
    slotStepMinutes: r.slot_step_minutes,
    minNoticeMinutes: r.min_notice_minutes,
    maxAdvanceDays: r.max_advance_days,
  };
}

export async function getProvider(db: Db, id: string): Promise<ProviderRow | undefined> {
  return await stmt<ProviderRow>(db, 'SELECT * FROM providers WHERE id = ?').get(id);
}
export async function requireProvider(db: Db, id: string): Promise<ProviderRow> {
  const p = await getProvider(db, id);
  if (!p || p.retired_at != null) throw new AppError('not_found', `provider ${id} not found`);
  return p;
}
export async function getService(db: Db, id: string): Promise<ServiceRow | undefined> {
  return await stmt<ServiceRow>(db, 'SELECT * FROM services WHERE id = ?').get(id);
}
export async function requireService(db: Db, providerId: string, serviceId: string): Promise<ServiceRow> {
  const s = await getService(db, serviceId);
  if (!s || s.provider_id !== providerId || s.retired_at != null)
    throw new AppError('not_found', `service ${serviceId} not found for provider ${providerId}`);
  return s;
}
export async function getUser(db: Db, id: string): Promise<UserRow | undefined> {
  return await stmt<UserRow>(db, 'SELECT * FROM users WHERE id = ?').get(id);
}
/** `admin`: whether the caller may see the CalDAV URL (see toProvider). */
export async function listProviders(db: Db, o: { admin: boolean }): Promise<Provider[]> {
  return (
    await stmt<ProviderRow>(db, 'SELECT * FROM providers WHERE retired_at IS NULL ORDER BY name, id').all()
  ).map((r) => toProvider(r, o));
}
export async function listServices(db: Db, providerId: string): Promise<Service[]> {
  await requireProvider(db, providerId);
  return (
    await stmt<ServiceRow>(
      db,
      'SELECT * FROM services WHERE provider_id = ? AND retired_at IS NULL ORDER BY title, id',
    ).all(providerId)
  ).map(toService);
}
export async function listUsers(db: Db, q: string | undefined, limit: number): Promise<User[]> {
  const like = `%${q ?? ''}%`;
  return (
    await stmt<UserRow>(
      db,
      'SELECT * FROM users WHERE name LIKE ? OR email LIKE ? ORDER BY name, id LIMIT ?',
    ).all(like, like, limit)
  ).map(toUser);
}

export interface HoursRowDb {
  weekday: number;
  start_minute: number;
  end_minute: number;
}
export async function providerHours(db: Db, providerId: string) {
  return (
    await stmt<HoursRowDb>(
      db,
      'SELECT weekday, start_minute, end_minute FROM working_hours WHERE provider_id = ? ORDER BY weekday, start_minute',
    ).all(providerId)
  ).map((h) => ({ weekday: h.weekday, startMinute: h.start_minute, endMinute: h.end_minute }));
}

/** Catalog changes chain under the admin audit subject. */
export async function audit(db: Db, w: WriteScope, actor: Actor, action: string, metadata: unknown) {
  await appendAudit(db, { action, outcome: 'applied', actor, metadata, timestamp: w.now });
}

export async function createProvider(
  db: Db,
  w: WriteScope,
  actor: Actor,
  b: Static<typeof CreateProvider>,
): Promise<Provider> {
  if (!isValidZone(b.timezone))
    throw new AppError('validation', `unknown IANA time zone ${JSON.stringify(b.timezone)}`);
  if (b.caldavUrl !== undefined && !/^https?:\/\//.test(b.caldavUrl))
    throw new AppError('validation', 'caldavUrl must be an http(s) URL');
  const split = b.caldavUrl ? splitUrlCredentials(b.caldavUrl) : null;
  const row: ProviderRow = {
    id: newId(),
    name: b.name,
    timezone: b.timezone,
    email: b.email ?? null,
    caldav_url: split?.url ?? null,
    feed_token: randomToken('feed_', 18),
    created_at: w.now,
  };
  await stmt(
    db,
    'INSERT INTO providers (id, name, timezone, email, caldav_url, feed_token, created_at) VALUES (@id, @name, @timezone, @email, @caldav_url, @feed_token, @created_at)',
  ).run(row);
  await saveCaldavCredentials(db, row.id, credentialFields(b, split), w.now);
  await audit(db, w, actor, 'provider.created', { providerId: row.id, name: row.name });
  return toProvider(row);
}

interface CredentialBody {
  caldavUsername?: string | null;
  caldavPassword?: string | null;
  caldavToken?: string | null;
}

/** The write-only credential fields of a body; userinfo found in the URL counts as sent. */
function credentialFields(b: CredentialBody, split: { username?: string; password?: string } | null) {
  return {
    caldavUsername: b.caldavUsername !== undefined ? b.caldavUsername : split?.username,
    caldavPassword: b.caldavPassword !== undefined ? b.caldavPassword : split?.password,
    caldavToken: b.caldavToken,
  };
}

/** Changes a provider's name, contact or CalDAV target. The zone is fixed: stored local hours depend on it. */
export async function updateProvider(
  db: Db,
  w: WriteScope,
  actor: Actor,
  id: string,
  b: { name?: string; email?: string | null; caldavUrl?: string | null } & CredentialBody,
): Promise<Provider> {
  const p = await requireProvider(db, id);
  if (b.caldavUrl && !/^https?:\/\//.test(b.caldavUrl))
    throw new AppError('validation', 'caldavUrl must be an http(s) URL');
  const split = b.caldavUrl ? splitUrlCredentials(b.caldavUrl) : null;
  const next: ProviderRow = {
    ...p,
    name: b.name ?? p.name,
    email: b.email === undefined ? p.email : b.email,
    caldav_url: b.caldavUrl === undefined ? p.caldav_url : (split?.url ?? null),
  };
  await stmt(
    db,
    'UPDATE providers SET name = @name, email = @email, caldav_url = @caldav_url WHERE id = @id',
  ).run(next);
  // removing the calendar forgets its credentials too
  await saveCaldavCredentials(
    db,
    id,
    b.caldavUrl === null
      ? { caldavUsername: null, caldavPassword: null, caldavToken: null }
      : credentialFields(b, split),
    w.now,
  );
  await audit(db, w, actor, 'provider.updated', { providerId: id, changed: Object.keys(b) });
  return toProvider(next);
}

export async function createService(
  db: Db,
  w: WriteScope,
  actor: Actor,
  b: Static<typeof CreateService>,
): Promise<Service> {
  await requireProvider(db, b.providerId);
  const row: ServiceRow = {
    id: newId(),
    provider_id: b.providerId,
    title: b.title,
    duration_minutes: b.durationMinutes,
    buffer_before_minutes: b.bufferBeforeMinutes ?? 0,
    buffer_after_minutes: b.bufferAfterMinutes ?? 0,
    slot_step_minutes: b.slotStepMinutes ?? b.durationMinutes,
    min_notice_minutes: b.minNoticeMinutes ?? 0,
    max_advance_days: b.maxAdvanceDays ?? 365,
    price_cents: b.priceCents,
    currency: b.currency ?? 'USD',
    requires_approval: b.requiresApproval ? 1 : 0,
    cancel_free_until_hours_before: b.cancellation?.freeUntilHoursBefore ?? null,
    cancel_fee_cents: b.cancellation?.feeCents ?? null,
    created_at: w.now,
  };
  await stmt(
    db,
    `INSERT INTO services (id, provider_id, title, duration_minutes, buffer_before_minutes, buffer_after_minutes,
      slot_step_minutes, min_notice_minutes, max_advance_days, price_cents, currency, requires_approval,
      cancel_free_until_hours_before, cancel_fee_cents, created_at)
     VALUES (@id, @provider_id, @title, @duration_minutes, @buffer_before_minutes, @buffer_after_minutes,
      @slot_step_minutes, @min_notice_minutes, @max_advance_days, @price_cents, @currency, @requires_approval,
      @cancel_free_until_hours_before, @cancel_fee_cents, @created_at)`,
  ).run(row);
  await audit(db, w, actor, 'service.created', {
    serviceId: row.id,
    providerId: row.provider_id,
    title: row.title,
  });
  return toService(row);
}

export async function createUser(
  db: Db,
  w: WriteScope,
  actor: Actor,
  b: Static<typeof CreateUser>,
): Promise<User> {
  const row: UserRow = {
    id: newId(),
    name: b.name,
    email: b.email,
    phone: b.phone ?? null,
    created_at: w.now,
  };
  // one customer per email, whatever its case (unique index users_email_unique backs it up)
  const taken = async () => {
    const u = await stmt<UserRow>(db, 'SELECT * FROM users WHERE lower(email) = lower(?)').get(b.email);
    return u
      ? new AppError('email_taken', `a user with email ${b.email} exists already: ${u.id} (${u.name})`, {
          userId: u.id,
        })
      : undefined;
  };
  const before = await taken();
  if (before) throw before;
  try {
    // in a savepoint on PostgreSQL: a lost race leaves the transaction usable to name the winner
    await guarded(db, (g) =>
      stmt(
        g,
        'INSERT INTO users (id, name, email, phone, created_at) VALUES (@id, @name, @email, @phone, @created_at)',
      ).run(row),
    );
  } catch (e) {
    if (isConstraintError(e)) throw (await taken()) ?? e;
    throw e;
  }
  await audit(db, w, actor, 'user.created', { userId: row.id });
  return toUser(row);
}
