import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, makeHarness } from '../testing/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await makeHarness();
});
afterAll(async () => {
  await h.close();
});

describe('OpenAPI document', () => {
  it('is valid OpenAPI 3 and lists every path of the seed and the design', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(r.statusCode).toBe(200);
    const doc = r.json();
    await SwaggerParser.validate(structuredClone(doc));
    const paths = Object.keys(doc.paths);
    for (const p of [
      '/users/{userId}/appointments',
      '/appointments',
      '/appointments/{id}',
      '/appointments/{id}/audit',
      '/appointments/{id}/cancellation-quote',
      '/appointments/{id}/alternatives',
      '/appointments/{id}/ics',
      '/providers/{providerId}/availability',
      '/reservations',
      '/reservations/{token}',
      '/bookings',
      '/appointments/{id}/reschedule',
      '/appointments/{id}/cancel',
      '/appointments/{id}/confirm',
      '/appointments/{id}/complete',
      '/appointments/{id}/no-show',
      '/providers',
      '/providers/{providerId}/services',
      '/me',
      '/admin/providers',
      '/admin/services',
      '/admin/providers/{id}/hours',
      '/admin/providers/{id}/time-off',
      '/admin/users',
      '/admin/tokens',
      '/admin/tokens/{id}',
      '/admin/tokens/{id}/rotate',
      '/admin/audit',
      '/admin/audit/verify',
      '/admin/check',
      '/healthz',
      '/readyz',
    ])
      expect(paths, p).toContain(p);
    expect(doc.info.description).toMatch(/kept 24 hours/);
  });

  it('12.11 lists the problem codes of each operation, per status, as an enum a validator checks', async () => {
    const doc = (await h.app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const codes = (path: string, method: string, status: number): string[] | undefined =>
      doc.paths[path][method].responses[String(status)]?.content?.['application/problem+json']?.schema
        .allOf[1].properties.code.enum;
    expect(codes('/reservations', 'post', 409)).toEqual(
      expect.arrayContaining(['slot_taken', 'too_many_holds', 'appointment_not_active']),
    );
    expect(codes('/reservations', 'post', 409)).not.toContain('replayed');
    expect(codes('/reservations', 'post', 412)).toBeUndefined(); // holds take no If-Match
    expect(codes('/appointments/{id}/reschedule', 'post', 412)).toEqual(['version_mismatch']);
    expect(codes('/appointments/{id}/reschedule', 'post', 400)).toEqual([
      'validation',
      'idempotency_key_missing',
    ]);
    expect(codes('/webhooks/calendar', 'post', 401)).toEqual(['bad_signature', 'stale_signature']);
    expect(codes('/webhooks/calendar', 'post', 409)).toEqual(['replayed']);
    expect(codes('/me', 'get', 404)).toBeUndefined(); // no id to miss
    expect(codes('/me', 'get', 403)).toBeUndefined(); // any role
    expect(codes('/admin/check', 'get', 403)).toEqual(['forbidden']);
    expect(codes('/healthz', 'get', 401)).toBeUndefined(); // open
    // every operation can be refused as malformed and during shutdown
    for (const [path, ops] of Object.entries<Record<string, { responses: Record<string, unknown> }>>(
      doc.paths,
    ))
      for (const [method] of Object.entries(ops)) {
        expect(codes(path, method, 400), `${method} ${path}`).toContain('validation');
        if (path !== '/readyz')
          expect(codes(path, method, 503), `${method} ${path}`).toEqual(['unavailable']);
      }
  });

  it('serves the docs UI', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/docs/' });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('swagger');
  });
});
