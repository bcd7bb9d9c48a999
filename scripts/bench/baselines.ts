import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { v7 as uuidv7 } from 'uuid';
import { isMain, type Proc, spawnListening } from './common.js';

/**
 * The bare Fastify baselines the API is measured against, each run as its own process:
 * - `read`: GET /users/:id/appointments → 20 rows of the same appointments table through a
 *   raw prepared statement, JSON-serialised; no auth, no schema, no mapping.
 * - `write`: POST /holds → one BEGIN IMMEDIATE transaction that checks for an overlapping
 *   row and inserts one, in WAL with `synchronous=FULL` (what the server runs with).
 */

export type BaselineKind = 'read' | 'write';

function openRaw(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  return db;
}

export async function serveBaseline(kind: BaselineKind, dbPath: string): Promise<void> {
  const db = openRaw(dbPath);
  const app = Fastify({ logger: false });
  if (kind === 'read') {
    const q = db.prepare(
      'SELECT * FROM appointments WHERE user_id = ? AND start_at > ? ORDER BY start_at, id LIMIT 20',
    );
    app.get<{ Params: { id: string } }>('/users/:id/appointments', async (req) => ({
      items: q.all(req.params.id, Date.now()),
    }));
  } else {
    db.exec(`CREATE TABLE IF NOT EXISTS holds (id TEXT PRIMARY KEY, provider_id TEXT NOT NULL,
      start_at INTEGER NOT NULL, end_at INTEGER NOT NULL, user_id TEXT, created_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS holds_provider_start ON holds (provider_id, start_at);`);
    const clash = db.prepare(
      'SELECT 1 FROM holds WHERE provider_id = ? AND start_at < ? AND end_at > ? AND start_at > ? LIMIT 1',
    );
    const ins = db.prepare(
      'INSERT INTO holds (id, provider_id, start_at, end_at, user_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const hold = db.transaction((b: { providerId: string; start: number; end: number; userId?: string }) => {
      if (clash.get(b.providerId, b.end, b.start, b.start - 86_400_000)) return null;
      const id = uuidv7();
      ins.run(id, b.providerId, b.start, b.end, b.userId ?? null, Date.now());
      return id;
    });
    app.post<{ Body: { providerId: string; start: number; end: number; userId?: string } }>(
      '/holds',
      async (req, reply) => {
        const id = hold.immediate(req.body);
        if (!id) return reply.code(409).send({ code: 'slot_taken' });
        return reply.code(201).send({ id, start: req.body.start, end: req.body.end });
      },
    );
  }
  const addr = await app.listen({ host: '127.0.0.1', port: 0 });
  process.stderr.write(`listening on ${addr}\n`);
  const stop = () => {
    void app.close().then(() => {
      db.close();
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** Starts a baseline as a separate process (the compiled form of this file). */
export function startBaseline(kind: BaselineKind, dbPath: string): Promise<Proc> {
  const self = fileURLToPath(import.meta.url);
  const js = self.endsWith('.ts')
    ? join(self, '..', '..', '..', 'dist', 'scripts', 'bench', 'baselines.js')
    : self;
  return spawnListening([js, kind, dbPath]);
}

if (isMain(import.meta.url)) {
  const [kind, dbPath] = process.argv.slice(2);
  if ((kind !== 'read' && kind !== 'write') || !dbPath) {
    process.stderr.write('usage: node dist/scripts/bench/baselines.js read|write <db path>\n');
    process.exit(2);
  }
  void serveBaseline(kind, dbPath);
}
