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

  it('serves the docs UI', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/docs/' });
    expect(r.statusCode).toBe(200);
    expect(r.body).toContain('swagger');
  });
});
