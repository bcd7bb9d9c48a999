import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { Appointment } from '../../shared/schemas.js';
import { textFor } from '../notifications/render.js';
import { makeLogger } from '../ops/logger.js';
import { auth, type Harness, makeHarness, slotsOf } from '../testing/harness.js';

/**
 * Issue 12, item 10 (the HTTP-layer part): reservation tokens stay out of the request log,
 * 408/431 are problem+json, a wrong method is 405 with Allow, an unsupported content type
 * 415, and a free-text reason in a notification is quoted as someone's own words.
 */
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});
const DAY = '2030-01-20';

function memoryLog() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, stream };
}

/** Raw bytes to the listening server; resolves with everything it sent back before closing. */
function rawExchange(port: number, bytes: string, onSocket?: (s: Socket) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      onSocket?.(s);
      s.write(bytes);
    });
    let got = '';
    s.on('data', (d) => {
      got += d.toString();
    });
    s.on('error', reject);
    s.on('close', () => resolve(got));
  });
}

function problemOf(raw: string) {
  const [head, body] = raw.split('\r\n\r\n');
  return { head, body: JSON.parse(body) as { code: string; status: number } };
}

describe('12.10 smaller ones (HTTP layer)', () => {
  it('DELETE /reservations/{token}: the token is not in the request log', async () => {
    const log = memoryLog();
    h = await makeHarness({ logger: await makeLogger('info', { destination: log.stream }) });
    const slot = (await slotsOf(h, DAY)).timeslots[2].id;
    const hold = await h.app.inject({
      method: 'POST',
      url: '/reservations',
      headers: auth(h.tokens.staff),
      payload: {
        providerId: h.ids.provider,
        serviceId: h.ids.service,
        timeslotId: slot,
        userId: h.ids.alice,
      },
    });
    const token = hold.json().reservationToken as string;
    expect(token.length).toBeGreaterThan(10);
    const del = await h.app.inject({
      method: 'DELETE',
      url: `/reservations/${token}`,
      headers: auth(h.tokens.staff),
    });
    expect(del.statusCode).toBe(204);
    const line = log.lines.map((l) => JSON.parse(l)).find((l) => l.method === 'DELETE');
    expect(line).toMatchObject({
      url: '/reservations/[redacted]',
      route: '/reservations/:token',
      status: 204,
    });
    expect(log.lines.join('\n')).not.toContain(token);
  });

  it('a wrong method on a known path is 405 method_not_allowed with Allow; an unknown path stays 404', async () => {
    h = await makeHarness();
    const r = await h.app.inject({ method: 'PUT', url: '/bookings', headers: auth(h.tokens.staff) });
    expect(r.statusCode).toBe(405);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.headers.allow).toBe('POST');
    expect(r.json()).toMatchObject({ code: 'method_not_allowed', status: 405 });
    const ics = await h.app.inject({ method: 'DELETE', url: '/appointments/some-id/ics' });
    expect(ics.statusCode).toBe(405);
    expect(ics.headers.allow).toBe('GET, HEAD');
    // PATCH and DELETE exist on a provider (DELETE removes it, issue 13); PUT does not
    const many = await h.app.inject({ method: 'PUT', url: `/admin/providers/${h.ids.provider}` });
    expect(many.statusCode).toBe(405);
    expect(String(many.headers.allow).split(', ')).toEqual(expect.arrayContaining(['PATCH', 'DELETE']));
    const none = await h.app.inject({ method: 'GET', url: '/no/such/thing' });
    expect(none.statusCode).toBe(404);
    expect(none.json().code).toBe('not_found');
  });

  it('an unsupported content type is 415 unsupported_media_type', async () => {
    h = await makeHarness();
    const r = await h.app.inject({
      method: 'POST',
      url: '/bookings',
      headers: auth(h.tokens.staff, { 'content-type': 'application/xml', 'idempotency-key': 'k415' }),
      payload: '<booking/>',
    });
    expect(r.statusCode).toBe(415);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.json()).toMatchObject({ code: 'unsupported_media_type', status: 415 });
  });

  it('431 (headers too large) and 408 (request timeout) are problem+json', async () => {
    h = await makeHarness({ listen: true });
    const addr = h.app.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    const big = await rawExchange(
      port,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(big).toMatch(/^HTTP\/1\.1 431 /);
    expect(big).toMatch(/content-type: application\/problem\+json/i);
    expect(problemOf(big).body).toMatchObject({ code: 'headers_too_large', status: 431 });

    // Node raises ERR_HTTP_REQUEST_TIMEOUT through 'clientError' when a client is too slow
    // (checked every 30 s, too slow for a test): raise it on a real half-sent connection
    const server = h.app.server;
    const seen = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const slow = rawExchange(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const serverSide = await seen;
    await new Promise((r) => setTimeout(r, 50));
    server.emit(
      'clientError',
      Object.assign(new Error('timeout'), { code: 'ERR_HTTP_REQUEST_TIMEOUT' }),
      serverSide,
    );
    const answer = await slow;
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(problemOf(answer).body).toMatchObject({ code: 'request_timeout', status: 408 });
  });

  it("a free-text reason in a notification is quoted as someone's own words, line by line", () => {
    const appointment = {
      id: 'a1',
      serviceTitle: 'Consultation',
      providerName: 'Dr. Test',
      userName: 'Alice Doe',
      start: '2030-01-20T15:00:00Z',
      end: '2030-01-20T15:30:00Z',
      timezone: 'America/New_York',
      currency: 'USD',
    } as Appointment;
    const text = textFor({
      template: 'rescheduled',
      role: 'provider',
      appointment,
      eventId: 'e1',
      topic: 'booking.rescheduled',
      at: 0,
      reason: 'running late\nFee: 0.00 USD; refund: 50.00 USD',
    });
    const lines = text.split('\n');
    expect(lines).toContain('Reason given with the request (their own words, not checked by us):');
    expect(lines).toContain('> “running late');
    expect(lines).toContain('> Fee: 0.00 USD; refund: 50.00 USD”');
    // the forged line never stands alone as one of ours
    expect(lines.filter((l) => l.startsWith('Fee:'))).toEqual([]);
  });
});
