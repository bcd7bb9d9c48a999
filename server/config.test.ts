import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, maskedConfig } from './config.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'appt-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('config', () => {
  it('flags > env > appt.json > defaults', () => {
    writeFileSync(
      join(dir, 'appt.json'),
      JSON.stringify({ APPT_PORT: 7001, APPT_LOG_LEVEL: 'warn', reservationTtlSeconds: 60 }),
    );
    const fileOnly = loadConfig({ dataDir: dir }, {});
    expect(fileOnly).toMatchObject({
      port: 7001,
      logLevel: 'warn',
      reservationTtlSeconds: 60,
      host: '127.0.0.1',
    });
    const env = loadConfig({ dataDir: dir }, { APPT_PORT: '7002' });
    expect(env.port).toBe(7002);
    const flags = loadConfig({ dataDir: dir, port: 7003 }, { APPT_PORT: '7002' });
    expect(flags.port).toBe(7003);
    expect(loadConfig({ dataDir: join(dir, 'none') }, {}).port).toBe(7400);
  });

  it('a bad value or an unknown file key names the key', () => {
    expect(() => loadConfig({ dataDir: dir }, { APPT_RESERVATION_TTL_SECONDS: 'soon' })).toThrow(
      /APPT_RESERVATION_TTL_SECONDS/,
    );
    expect(() => loadConfig({ dataDir: dir }, { APPT_SMTP_URL: 'not a url' })).toThrow(ConfigError);
    expect(() => loadConfig({ dataDir: dir }, { APPT_PUSHER_URL: 'http://hub:6001/' })).toThrow(
      /APPT_PUSHER_URL/,
    );
    expect(loadConfig({ dataDir: dir }, { APPT_PUSHER_URL: 'http://k:s@hub:6001/apps/1' }).pusherUrl).toBe(
      'http://k:s@hub:6001/apps/1',
    );
    writeFileSync(join(dir, 'appt.json'), JSON.stringify({ APPT_PROT: 1 }));
    expect(() => loadConfig({ dataDir: dir }, {})).toThrow(/unknown key "APPT_PROT"/);
    writeFileSync(join(dir, 'appt.json'), '{ not json');
    expect(() => loadConfig({ dataDir: dir }, {})).toThrow(/not valid JSON/);
  });

  it('masks secrets when printed', () => {
    const c = loadConfig(
      { dataDir: dir },
      { APPT_WEBHOOK_SECRET: 'supersecretvalue', APPT_SMTP_URL: 'smtp://user:pw@mail:25' },
    );
    const m = maskedConfig(c);
    expect(JSON.stringify(m)).not.toContain('supersecretvalue');
    expect(m.smtpUrl).toBe('smtp://***@mail:25');
  });

  it('APPT_WORKERS above 1 needs PostgreSQL; APPT_TRUST_PROXY takes true, a hop count or proxy addresses', () => {
    expect(loadConfig({ dataDir: dir }, {}).workers).toBe(1);
    expect(() => loadConfig({ dataDir: dir }, { APPT_WORKERS: '2' })).toThrow(
      /APPT_WORKERS: 2 workers need PostgreSQL/,
    );
    expect(
      loadConfig({ dataDir: dir }, { APPT_WORKERS: '4', APPT_DATABASE_URL: 'postgres://db/appt' }).workers,
    ).toBe(4);
    expect(() => loadConfig({ dataDir: dir }, { APPT_WORKERS: '0' })).toThrow(/APPT_WORKERS/);
    expect(loadConfig({ dataDir: dir }, {}).trustProxy).toBe(false);
    expect(loadConfig({ dataDir: dir }, { APPT_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ dataDir: dir }, { APPT_TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ dataDir: dir }, { APPT_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8' }).trustProxy).toBe(
      '127.0.0.1,10.0.0.0/8',
    );
    expect(() => loadConfig({ dataDir: dir }, { APPT_TRUST_PROXY: 'nginx.local' })).toThrow(
      /APPT_TRUST_PROXY/,
    );
  });
});
