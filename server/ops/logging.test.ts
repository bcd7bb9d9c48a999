import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../app.js';
import { insertToken } from '../auth/tokens.js';
import { testConfig } from '../config.js';
import { createContext, ManualClock } from '../context.js';
import { makeLogger } from './logger.js';

function memory() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, stream };
}

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function appWith(level: string, pretty = false) {
  const m = memory();
  const logger = await makeLogger(level, { destination: m.stream, pretty });
  const ctx = await createContext(testConfig(), { logger, clock: new ManualClock() });
  const { token } = await insertToken(ctx.db, ctx.clock.now(), { name: 'desk', role: 'staff' });
  const app = await buildApp(ctx);
  close = async () => {
    await app.close();
    await ctx.db.close();
  };
  return { app, token, lines: m.lines, logger };
}

describe('request logs', () => {
  it('one JSON line per request with request id, actor, route, status and duration; no token', async () => {
    const { app, token, lines } = await appWith('info');
    const r = await app.inject({
      method: 'GET',
      url: '/providers?x=1',
      headers: { authorization: `Bearer ${token}`, 'x-request-id': 'req-42' },
    });
    expect(r.statusCode).toBe(200);
    await app.inject({ method: 'GET', url: '/me', headers: { authorization: 'Bearer not-a-token' } });
    const done = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request completed');
    expect(done).toHaveLength(2);
    // the request id is the server's own; the client's is logged beside it
    expect(done[0].reqId).not.toBe('req-42');
    expect(r.headers['x-request-id']).toBe(done[0].reqId);
    expect(done[0]).toMatchObject({
      clientRequestId: 'req-42',
      actor: { role: 'staff' },
      method: 'GET',
      route: '/providers',
      url: '/providers',
      status: 200,
    });
    expect(typeof done[0].durationMs).toBe('number');
    expect(done[0].actor.id).toMatch(/^token:|\w/);
    expect(done[1]).toMatchObject({ status: 401, code: 'unauthorized', route: '/me' });
    expect(done[1].actor).toBeUndefined();
    const all = lines.join('\n');
    expect(all).not.toContain(token);
    expect(all).not.toContain('not-a-token');
  });

  it('redacts tokens, secrets and contact details wherever a log call puts them', async () => {
    const { logger, lines } = await appWith('info');
    logger.info(
      {
        req: { headers: { authorization: 'Bearer abc', 'appt-signature': 't=1,v1=ff' } },
        user: { name: 'Alice', email: 'alice@example.com', phone: '+1555' },
        created: { token: 'tok_secret', id: 't1' },
        hold: { body: { reservationToken: 'rsv_x' } },
        email: 'top@example.com',
        webhookSecret: 'whsec',
      },
      'something happened',
    );
    const line = lines.at(-1)!;
    for (const secret of [
      'Bearer abc',
      'v1=ff',
      'alice@example.com',
      '+1555',
      'tok_secret',
      'rsv_x',
      'top@example.com',
      'whsec',
    ])
      expect(line).not.toContain(secret);
    expect(JSON.parse(line)).toMatchObject({
      user: { name: 'Alice', email: '[redacted]' },
      created: { id: 't1' },
    });
  });

  it('--log-level silences below the level; pretty output is for people', async () => {
    const quiet = await appWith('warn');
    await quiet.app.inject({ method: 'GET', url: '/healthz' });
    expect(quiet.lines).toEqual([]);
    await close?.();
    const pretty = await appWith('info', true);
    await pretty.app.inject({ method: 'GET', url: '/healthz' });
    const text = pretty.lines.join('\n');
    expect(text).toContain('request completed');
    expect(() => JSON.parse(pretty.lines[0])).toThrow();
  });
});
