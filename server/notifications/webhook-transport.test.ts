import { createServer, type IncomingMessage, type Server } from 'node:http';
import { stmt } from '../db/open.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { jobDeps } from '../jobs/testing.js';
import { bookVia, type Harness, makeHarness, slotsOf } from '../testing/harness.js';
import { hmacHex, parseSignature } from '../webhooks/signature.js';
import { dispatchOutbox } from './dispatch.js';
import { closeTransports, drainNotifications, transportsFrom } from './send.js';

/** A local HTTP sink playing an SMS / push gateway; each request is answered by `plan`. */
interface Hit {
  path: string;
  body: Record<string, unknown>;
  raw: string;
  signature: string;
}
let hits: Hit[];
let plan: (hit: Hit, n: number) => { status: number; body?: string; hang?: boolean };
let server: Server;
let url: string;
let h: Harness;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    req.on('data', (c) => {
      s += c;
    });
    req.on('end', () => resolve(s));
  });
}

beforeEach(async () => {
  hits = [];
  plan = () => ({ status: 200, body: '{"id":"gw-1"}' });
  server = createServer(async (req, res) => {
    const raw = await readBody(req);
    const hit = {
      path: req.url ?? '',
      raw,
      body: JSON.parse(raw),
      signature: String(req.headers['appt-signature']),
    };
    hits.push(hit);
    const p = plan(hit, hits.length);
    if (p.hang) return; // never answers: the sender's timeout must fire
    res.writeHead(p.status, { 'content-type': 'application/json' }).end(p.body ?? '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  h = await makeHarness({
    config: { webhookSecret: 'whsec_out', smsWebhookUrl: `${url}/sms`, pushWebhookUrl: `${url}/push` },
  });
});
afterEach(async () => {
  await h.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const retry = { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 60_000 };

// A generous timeout by default (a loaded CI machine answers a local sink slowly); the one
// attempt that must time out passes a short one.
async function send(webhookTimeoutMs = 10_000) {
  const deps = jobDeps(h);
  h.ctx.config.smtpUrl = undefined; // email goes to .eml files here; this test is about the webhooks
  const t = transportsFrom(deps, { webhookTimeoutMs });
  try {
    return await drainNotifications(deps, t, { retry });
  } finally {
    closeTransports(t);
  }
}

async function row(channel: string) {
  return (await stmt(
    h.ctx.db,
    'SELECT status, attempts, last_error, provider_message_id, next_attempt_at FROM notifications WHERE channel = ?',
  ).get(channel)) as {
    status: string;
    attempts: number;
    last_error: string | null;
    provider_message_id: string | null;
    next_attempt_at: number;
  };
}

describe('SMS and push webhook adapters', () => {
  it('a row for a channel whose gateway is no longer configured is retried with a clear error', async () => {
    await bookVia(h, (await slotsOf(h, '2030-01-08')).timeslots[0].id, { userId: h.ids.bob });
    await dispatchOutbox(jobDeps(h));
    h.ctx.config.smsWebhookUrl = undefined;
    await send();
    expect(await row('sms')).toMatchObject({
      status: 'queued',
      attempts: 1,
      last_error: 'no sms transport configured',
    });
    expect(await row('push')).toMatchObject({ status: 'sent' });
  });

  it('a customer with a phone gets an SMS and a push, each signed over the raw body', async () => {
    const a = await bookVia(h, (await slotsOf(h, '2030-01-08')).timeslots[0].id, { userId: h.ids.bob });
    await dispatchOutbox(jobDeps(h));
    const r = await send();
    expect(r.sent).toBe(4); // 2 emails + sms + push
    expect(hits.map((x) => x.path).sort()).toEqual(['/push', '/sms']);
    for (const hit of hits) {
      const sig = parseSignature(hit.signature)!;
      expect(sig.v1[0]).toBe(hmacHex('whsec_out', sig.t, hit.raw));
      expect(sig.t * 1000).toBe(Math.floor(h.clock.now() / 1000) * 1000);
      expect(hit.body).toMatchObject({ appointmentId: a.id, template: 'confirmed' });
      expect(String(hit.body.messageId)).toMatch(/^<[\w-]+\.[0-9a-f]{16}@appt>$/);
    }
    expect(hits.find((x) => x.path === '/sms')!.body.to).toBe('+15550100');
    expect(hits.find((x) => x.path === '/push')!.body.to).toBe(`user:${h.ids.bob}`);
    expect(await row('sms')).toMatchObject({ status: 'sent', provider_message_id: 'gw-1' });
    // alice has no phone: no SMS for her, but a push
    await bookVia(h, (await slotsOf(h, '2030-01-08')).timeslots[1].id, { userId: h.ids.alice });
    await dispatchOutbox(jobDeps(h));
    hits = [];
    await send();
    expect(hits.map((x) => x.path)).toEqual(['/push']);
  });

  it('500s and timeouts are retried with exponential backoff until the gateway answers', async () => {
    await bookVia(h, (await slotsOf(h, '2030-01-08')).timeslots[0].id, { userId: h.ids.bob });
    await dispatchOutbox(jobDeps(h));
    // push first (sent), then sms 503
    plan = (hit) => (hit.path === '/sms' ? { status: 503, body: 'busy' } : { status: 200 });
    await send();
    expect(await row('sms')).toMatchObject({ status: 'queued', attempts: 1 });
    expect((await row('sms')).last_error).toBe('HTTP 503: busy');
    expect((await row('sms')).next_attempt_at).toBe(h.clock.now() + 1000);
    // second attempt: the gateway hangs → timeout, backoff doubles
    plan = (hit) => (hit.path === '/sms' ? { status: 200, hang: true } : { status: 200 });
    h.clock.advance(1000);
    await send(300);
    expect(await row('sms')).toMatchObject({ status: 'queued', attempts: 2 });
    expect((await row('sms')).last_error).toMatch(/timeout after 300 ms/);
    expect((await row('sms')).next_attempt_at).toBe(h.clock.now() + 2000);
    // third attempt succeeds
    plan = () => ({ status: 202, body: '{"id":"sms-42"}' });
    h.clock.advance(2000);
    await send();
    expect(await row('sms')).toMatchObject({
      status: 'sent',
      attempts: 3,
      last_error: null,
      provider_message_id: 'sms-42',
    });
    expect(hits.filter((x) => x.path === '/sms')).toHaveLength(3);
    // every attempt carried the same message id
    expect(new Set(hits.filter((x) => x.path === '/sms').map((x) => x.body.messageId)).size).toBe(1);
  });

  it('dead letter after N attempts; a 4xx is permanent at once; a closed port retries', async () => {
    plan = (hit) => (hit.path === '/sms' ? { status: 500 } : { status: 400, body: 'bad device' });
    await bookVia(h, (await slotsOf(h, '2030-01-08')).timeslots[0].id, { userId: h.ids.bob });
    await dispatchOutbox(jobDeps(h));
    await send();
    expect(await row('push')).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_error: 'HTTP 400: bad device',
    });
    for (let i = 0; i < 3; i++) {
      h.clock.advance(10_000);
      await send();
    }
    expect(await row('sms')).toMatchObject({ status: 'failed', attempts: 3, last_error: 'HTTP 500' });
    expect(hits.filter((x) => x.path === '/sms')).toHaveLength(3);

    // a gateway that is down: network errors retry
    await new Promise((r) => server.close(r));
    server.closeAllConnections();
    await stmt(
      h.ctx.db,
      `UPDATE notifications SET status = 'queued', attempts = 0, next_attempt_at = 0 WHERE channel = 'sms'`,
    ).run();
    await send();
    expect(await row('sms')).toMatchObject({ status: 'queued', attempts: 1 });
    expect((await row('sms')).last_error).toMatch(/^network: /);
    server.listen(0); // reopened so afterEach can close it
  });
});
