import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configDir, loadSession, openStore, snapshotKeys } from './config.js';

const me = { tokenId: 't1', name: 'desk', role: 'staff' };

describe('CLI config (conf store)', () => {
  it('lives in APPT_HOME with mode 0600 and keeps login, snapshots and drafts (the queue has its own file)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'appt-conf-'));
    const env = { APPT_HOME: home };
    expect(configDir(env)).toBe(home);
    expect(configDir({ HOME: '/h' })).toBe('/h/.config/appt');
    const store = openStore(env);
    expect(loadSession(env, store)).toBeUndefined();
    await store.saveLogin('http://s:1', 'tok', me);
    expect(statSync(join(home, 'config.json')).mode & 0o777).toBe(0o600);
    store.saveSnapshot(
      snapshotKeys.appointment('a'),
      'http://s:1',
      { id: 'a' },
      new Date('2030-01-01T00:00:00Z'),
    );
    expect(statSync(join(home, 'config.json')).mode & 0o777).toBe(0o600);
    await store.setDraft('note', { text: 'hi' });
    const fresh = openStore(env);
    expect(loadSession(env, fresh)).toEqual({ server: 'http://s:1', token: 'tok', me, source: 'config' });
    expect(fresh.snapshot(snapshotKeys.appointment('a'))).toEqual({
      at: '2030-01-01T00:00:00.000Z',
      server: 'http://s:1',
      data: { id: 'a' },
    });
    expect(fresh.draft('note')).toEqual({ text: 'hi' });
    // a new server or token forgets what the old one cached
    await fresh.saveLogin('http://other:2', 'tok2', me);
    expect(openStore(env).snapshot(snapshotKeys.appointment('a'))).toBeUndefined();
    expect(JSON.parse(readFileSync(join(home, 'config.json'), 'utf8')).server).toBe('http://other:2');
  });

  it('APPT_SERVER / APPT_TOKEN override the saved login; the saved identity only for its token', async () => {
    const home = mkdtempSync(join(tmpdir(), 'appt-conf-'));
    const store = openStore({ APPT_HOME: home });
    await store.saveLogin('http://s:1', 'tok', me);
    expect(loadSession({ APPT_HOME: home, APPT_SERVER: 'http://x:9/' })).toMatchObject({
      server: 'http://x:9',
      token: 'tok',
      me,
      source: 'env',
    });
    expect(loadSession({ APPT_HOME: home, APPT_TOKEN: 'other' })?.me).toBeUndefined();
    const only = mkdtempSync(join(tmpdir(), 'appt-conf-'));
    expect(loadSession({ APPT_HOME: only, APPT_SERVER: 'http://x', APPT_TOKEN: 't' })).toMatchObject({
      source: 'env',
    });
  });

  it('a damaged file reads as empty instead of crashing', () => {
    const home = mkdtempSync(join(tmpdir(), 'appt-conf-'));
    writeFileSync(join(home, 'config.json'), '{not json');
    expect(openStore({ APPT_HOME: home }).data()).toEqual({});
  });
});
