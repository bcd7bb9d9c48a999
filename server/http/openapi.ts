import type { FastifyInstance } from 'fastify';
import { type ErrorCode, problemFor } from '../../shared/errors.js';
import type { Access } from './auth.js';
import { operationCodes } from './error-codes.js';

/**
 * Makes the generated OpenAPI document say what the server does (issue 12.11), in one pass
 * over the document @fastify/swagger builds from the route schemas, so the route files stay
 * as they are: problem+json errors with the codes of each status, the real security of
 * open and signed routes, text/calendar and text/plain bodies, the form-encoded
 * `/realtime/auth`, 413/415/429 where they can occur, response headers, an operationId, a
 * summary and an example on every operation, required Idempotency-Key headers.
 */
type Json = Record<string, any>;

interface RouteInfo {
  access: Access;
}

const KEYED = new Set([
  'post /bookings',
  'post /appointments/{id}/reschedule',
  'post /appointments/{id}/cancel',
  'post /appointments/{id}/confirm',
]);
const VALIDATED = new Set([
  'get /appointments/{id}',
  'get /appointments',
  'get /users/{userId}/appointments',
  'get /providers/{providerId}/calendar.ics',
]);
const SUMMARIES: Record<string, string> = {
  'get /providers': 'Providers (catalog for pickers); CalDAV URL only for admins, credentials never',
  'get /providers/{providerId}/services': "A provider's services with durations, prices and policies",
  'post /admin/providers': 'Create a provider',
  'post /admin/services': 'Create a service',
  'get /admin/providers/{id}/hours': "A provider's working hours (local time)",
  'post /admin/providers/{id}/time-off': 'Add time off (blocks the slots it covers)',
  'get /admin/providers/{id}/time-off': "A provider's time off and external busy blocks",
  'post /admin/users': 'Create a customer',
  'get /admin/users': 'Find customers by name or email',
  'get /admin/users/{id}': 'One customer',
  'get /admin/tokens': 'API tokens (never the secret itself)',
};

const PROBLEM_REF = { $ref: '#/components/schemas/Problem' };

/** A problem+json answer whose `code` is one of the codes this operation has for the status. */
function problemResponse(status: number, codes: ErrorCode[], description?: string): Json {
  const example = problemFor(codes[0], 'what went wrong, for a person');
  return {
    description: `${description ?? 'RFC 9457 problem details'}; \`code\` is one of: ${codes.map((c) => `\`${c}\``).join(', ')}`,
    content: {
      'application/problem+json': {
        schema: {
          allOf: [PROBLEM_REF, { type: 'object', properties: { code: { type: 'string', enum: codes } } }],
        },
        example,
      },
    },
    ...(status === 429 || status === 503
      ? { headers: { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } } }
      : {}),
  };
}

function camel(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((p) => (p.startsWith('{') ? `by-${p.slice(1, -1)}` : p))
    .flatMap((p) => p.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return [method, ...words].map((w, i) => (i ? w[0].toUpperCase() + w.slice(1) : w.toLowerCase())).join('');
}

function exampleFor(schema: Json | undefined, depth = 0): unknown {
  if (!schema || depth > 6) return null;
  if (schema.example !== undefined) return schema.example;
  if (schema.$ref) return {};
  if (schema.enum) return schema.enum[0];
  if (schema.anyOf)
    return exampleFor(schema.anyOf.find((s: Json) => s.type !== 'null') ?? schema.anyOf[0], depth + 1);
  if (schema.allOf) return Object.assign({}, ...schema.allOf.map((s: Json) => exampleFor(s, depth + 1)));
  switch (schema.type) {
    case 'object': {
      const out: Json = {};
      for (const [k, v] of Object.entries<Json>(schema.properties ?? {}))
        if ((schema.required ?? []).includes(k)) out[k] = exampleFor(v, depth + 1);
      return out;
    }
    case 'array':
      return schema.items ? [exampleFor(schema.items, depth + 1)] : [];
    case 'integer':
    case 'number':
      return schema.minimum ?? 1;
    case 'boolean':
      return true;
    case 'string':
      if (schema.format === 'date-time') return '2030-01-20T15:00:00.000Z';
      return schema.minLength ? 'x'.repeat(schema.minLength) : 'string';
    default:
      return null;
  }
}

export function collectRouteInfo(app: FastifyInstance): Map<string, RouteInfo> {
  const routes = new Map<string, RouteInfo>();
  app.addHook('onRoute', (r) => {
    const path = r.url.replace(/:([A-Za-z_][\w-]*)/g, '{$1}');
    const access = (r.config as { access?: Access } | undefined)?.access ?? 'open';
    for (const m of [r.method].flat()) routes.set(`${m.toLowerCase()} ${path}`, { access });
  });
  return routes;
}

export function truthfulDocument(doc: Json, routes: Map<string, RouteInfo>): Json {
  doc.servers = [
    { url: 'http://127.0.0.1:7400', description: 'a local `appt serve` (APPT_HOST / APPT_PORT)' },
  ];
  doc.components ??= {};
  doc.components.securitySchemes = {
    bearer: { type: 'http', scheme: 'bearer', description: 'an API token (`appt admin token create`)' },
    apptSignature: {
      type: 'apiKey',
      in: 'header',
      name: 'Appt-Signature',
      description: '`t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` with APPT_WEBHOOK_SECRET',
    },
    pusherSignature: {
      type: 'apiKey',
      in: 'query',
      name: 'auth_signature',
      description: 'Pusher HTTP API signature (with auth_key, auth_timestamp, auth_version, body_md5)',
    },
    feedToken: { type: 'apiKey', in: 'query', name: 'token', description: "the provider's feed token" },
  };
  doc.components.headers = {
    ETag: { description: 'strong entity tag of this representation', schema: { type: 'string' } },
    LastModified: { description: 'the newest change in the calendar', schema: { type: 'string' } },
    IdempotentReplayed: {
      description: '`true` when this is the stored answer to an earlier request with the same key',
      schema: { type: 'string', enum: ['true'] },
    },
    RetryAfter: { description: 'seconds to wait before retrying', schema: { type: 'integer' } },
    RateLimitLimit: { description: 'changes allowed per minute for this token', schema: { type: 'integer' } },
    RateLimitRemaining: { description: 'changes left in this minute', schema: { type: 'integer' } },
    RateLimitReset: { description: 'seconds until the window resets', schema: { type: 'integer' } },
  };
  const header = (name: string) => ({ $ref: `#/components/headers/${name}` });

  for (const [path, ops] of Object.entries<Json>(doc.paths ?? {})) {
    for (const [method, op] of Object.entries<Json>(ops)) {
      const key = `${method} ${path}`;
      const info = routes.get(key);
      const access = info?.access ?? 'open';
      op.operationId ??= camel(method, path);
      op.summary ??= SUMMARIES[key] ?? `${method.toUpperCase()} ${path}`;
      if (access === 'open') op.security = path.endsWith('/calendar.ics') ? [{ feedToken: [] }] : [];
      else if (access === 'signed')
        op.security = path.startsWith('/apps/') ? [{ pusherSignature: [] }] : [{ apptSignature: [] }];
      op.responses ??= {};
      const responses = op.responses as Json;

      // bodies that are not JSON
      if (path.endsWith('.ics') || path.endsWith('/ics'))
        responses['200'] = {
          description: 'iCalendar (RFC 5545)',
          content: {
            'text/calendar': { schema: { type: 'string' }, example: 'BEGIN:VCALENDAR\r\n…END:VCALENDAR\r\n' },
          },
        };
      if (path === '/metrics')
        responses['200'] = {
          description: 'Prometheus text exposition format',
          content: {
            'text/plain': { schema: { type: 'string' }, example: '# HELP appt_http_requests_total …' },
          },
        };
      const body = op.requestBody?.content?.['application/json'];
      if (path === '/realtime/auth' && body)
        op.requestBody.content['application/x-www-form-urlencoded'] = { schema: body.schema };

      // the failures this operation can answer with, each status with its codes
      const byStatus = operationCodes(key, {
        access,
        body: method !== 'get' && method !== 'head',
        pathParams: path.includes('{'),
      });
      for (const s of Object.keys(responses)) {
        if (Number(s) < 400) continue;
        const given = responses[s]?.content?.['application/json']?.schema;
        // a route's own non-problem error body (e.g. /readyz's checks) stays as declared
        if (given && given.$ref !== PROBLEM_REF.$ref) continue;
        if (!byStatus.has(Number(s))) delete responses[s];
      }
      for (const [status, codes] of byStatus) {
        const s = String(status);
        const given = responses[s]?.content?.['application/json']?.schema;
        if (given && given.$ref !== PROBLEM_REF.$ref) continue;
        const said = responses[s]?.description;
        responses[s] = problemResponse(status, codes, said && said !== 'Default Response' ? said : undefined);
      }

      for (const [status, r] of Object.entries<Json>(responses)) {
        if (Number(status) >= 300) continue;
        if (r.description === 'Default Response') r.description = 'Success';
        const headers: Json = { ...(r.headers ?? {}) };
        if (VALIDATED.has(key)) headers.ETag = header('ETag');
        if (key === 'get /providers/{providerId}/calendar.ics')
          headers['Last-Modified'] = header('LastModified');
        if (KEYED.has(key) || key === 'post /reservations')
          headers['Idempotent-Replayed'] = header('IdempotentReplayed');
        if (KEYED.has(key) || /^post \/appointments\/\{id\}\/(complete|no-show)$/.test(key))
          headers.ETag = header('ETag');
        if (method !== 'get' && access !== 'open' && access !== 'signed' && path !== '/realtime/auth') {
          headers['X-RateLimit-Limit'] = header('RateLimitLimit');
          headers['X-RateLimit-Remaining'] = header('RateLimitRemaining');
          headers['X-RateLimit-Reset'] = header('RateLimitReset');
        }
        if (Object.keys(headers).length) r.headers = headers;
        for (const media of Object.values<Json>(r.content ?? {}))
          if (media.example === undefined && media.schema) media.example = exampleFor(media.schema);
      }
      if (VALIDATED.has(key))
        responses['304'] = {
          description: 'Not Modified: If-None-Match named the current ETag',
          headers: { ETag: header('ETag') },
        };

      // parameters: what the values mean, closed sets as enums, required keys
      for (const p of (op.parameters ?? []) as Json[]) {
        if (p.name === 'date')
          p.description ??=
            'a calendar day `YYYY-MM-DD` (or `today` / `tomorrow`) in the provider’s time zone';
        if (p.name === 'status' && p.in === 'query')
          p.schema = {
            type: 'string',
            enum: ['active', 'upcoming', 'confirmed', 'rescheduled', 'cancelled', 'completed', 'no_show'],
          };
        if (p.name === 'cursor') p.description ??= 'the `nextCursor` of the previous page';
        if (p.name === 'limit') p.description ??= 'page size';
        if (p.name === 'if-match')
          p.description =
            'the ETag you saw (`"<version>"` or `"<version>-<digest>"`; weak tags never match; `*` = any version); stale → 412';
        if (p.name === 'idempotency-key' && KEYED.has(key)) {
          p.required = true;
          p.description =
            'required (or `idempotencyKey` in the body): kept 24 h; same key + same request → the stored response, another request → 422, in flight → 409';
        }
      }
      if (VALIDATED.has(key)) {
        op.parameters ??= [];
        op.parameters.push({
          in: 'header',
          name: 'if-none-match',
          required: false,
          description: 'an ETag from an earlier answer: 304 when it is still current',
          schema: { type: 'string' },
        });
      }
    }
  }
  return doc;
}
