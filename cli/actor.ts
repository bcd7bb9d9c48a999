import type { ApiClient } from '../shared/client.js';
import { CliError, EXIT } from './exit-codes.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An actor id as the audit stores it: `token:<id>` (staff, admin, support), a user id, `system`. */
export function looksLikeActorId(v: string): boolean {
  return v.startsWith('token:') || UUID.test(v) || v === 'system';
}

/**
 * `--actor` takes an id or a name. A name is looked up client-side among the tokens
 * (GET /admin/tokens: "demo front desk") and the customers (the users list): one match is
 * used, several are listed so the person can pick, none is a usage error.
 */
export async function resolveActor(
  c: Pick<ApiClient, 'listTokens' | 'listUsers'>,
  v: string,
): Promise<string> {
  if (looksLikeActorId(v)) return v;
  const want = v.trim().toLowerCase();
  const [tokens, users] = await Promise.all([
    c.listTokens().then((r) => r.items),
    c.listUsers({ q: v, limit: 50 }).then(
      (r) => r.items,
      () => [],
    ),
  ]);
  const cands = [
    ...tokens.map((t) => ({ id: `token:${t.id}`, name: t.name, what: `${t.role} token` })),
    ...users.map((u) => ({ id: u.id, name: u.name, what: `customer ${u.email}` })),
  ];
  const exact = cands.filter((x) => x.name.toLowerCase() === want);
  const loose = exact.length ? exact : cands.filter((x) => x.name.toLowerCase().includes(want));
  if (loose.length === 1) return loose[0]!.id;
  if (!loose.length)
    throw new CliError(`--actor: no token or customer is called ${JSON.stringify(v)}`, EXIT.usage);
  throw new CliError(
    `--actor: ${JSON.stringify(v)} names ${loose.length} actors; give one of these ids:\n${loose
      .slice(0, 10)
      .map((x) => `  ${x.id}  ${x.name} (${x.what})`)
      .join('\n')}`,
    EXIT.usage,
  );
}
