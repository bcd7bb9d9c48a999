import { api, must, pool } from './http.js';

export interface SeededProvider {
  id: string;
  /** 30 minutes, a slot every 30 minutes */
  serviceId: string;
  /** 60 minutes on a 30-minute step (only with `longService`): overlaps the short one */
  longServiceId?: string;
}
export interface SeededUser {
  id: string;
  token: string;
}
export interface SeededCatalog {
  providers: SeededProvider[];
  users: SeededUser[];
  staff: string;
}

/**
 * A catalog through the admin API: providers open 09:00–17:00 every day in `zone`, one
 * 30-minute service each (optionally with a cancellation fee), users each with their own
 * user token, and one staff token.
 */
export async function seedCatalog(
  base: string,
  admin: string,
  o: { providers: number; users: number; zones?: string[]; minNoticeMinutes?: number; longService?: boolean },
): Promise<SeededCatalog> {
  const providers = await pool(
    Array.from({ length: o.providers }, (_, i) => i),
    4,
    async (i) => {
      const p = await must(
        api(base, admin, 'POST', '/admin/providers', {
          name: `Bench ${i}`,
          timezone: o.zones?.[i % o.zones.length] ?? 'UTC',
        }),
        201,
      );
      await must(
        api(
          base,
          admin,
          'PUT',
          `/admin/providers/${p.id}/hours`,
          [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, start: '09:00', end: '17:00' })),
        ),
      );
      const s = await must(
        api(base, admin, 'POST', '/admin/services', {
          providerId: p.id,
          title: 'Visit',
          durationMinutes: 30,
          priceCents: 5000,
          minNoticeMinutes: o.minNoticeMinutes ?? 0,
          cancellation: { freeUntilHoursBefore: 24, feeCents: 1000 },
        }),
        201,
      );
      if (!o.longService) return { id: p.id as string, serviceId: s.id as string };
      const l = await must(
        api(base, admin, 'POST', '/admin/services', {
          providerId: p.id,
          title: 'Long visit',
          durationMinutes: 60,
          slotStepMinutes: 30,
          priceCents: 9000,
          minNoticeMinutes: o.minNoticeMinutes ?? 0,
        }),
        201,
      );
      return { id: p.id as string, serviceId: s.id as string, longServiceId: l.id as string };
    },
  );
  const users = await pool(
    Array.from({ length: o.users }, (_, i) => i),
    4,
    async (i) => {
      const u = await must(
        api(base, admin, 'POST', '/admin/users', { name: `User ${i}`, email: `user${i}@example.com` }),
        201,
      );
      const t = await must(
        api(base, admin, 'POST', '/admin/tokens', { name: `user ${i}`, role: 'user', userId: u.id }),
        201,
      );
      return { id: u.id as string, token: t.token as string };
    },
  );
  const staff = await must(api(base, admin, 'POST', '/admin/tokens', { name: 'desk', role: 'staff' }), 201);
  return { providers, users, staff: staff.token as string };
}
