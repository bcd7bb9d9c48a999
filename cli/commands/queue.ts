import type { Command } from 'commander';
import { CliError, EXIT } from '../exit-codes.js';
import { addTo, type Factory, makeFactory, using } from '../factory.js';
import type { IO } from '../io.js';

export function register(program: Command, io: IO): void {
  addTo(program, newCmdQueue(makeFactory(io, program)));
}

/**
 * `appt queue list|replay|drop`. list and drop read the queue file without a login (they
 * work offline and for other logins' intents); replay needs the login whose intents they are.
 */
export function newCmdQueue(f: Factory): Command {
  const { io } = f;
  const queue = f
    .createCommand('queue')
    .description('The offline queue: cancel/reschedule intents made while the server was unreachable')
    .addHelpText(
      'after',
      `
Queued intents keep their idempotency key and the version they saw; the next online command
of the same login replays them first (another login's intents are listed, never replayed).
Refused ones (409/412/422) stay here, marked, until replayed by hand or dropped; when the
server was unreachable, answered 5xx or 429, they stay queued for the next replay.
The queue is its own file: <config dir>/queue.json.

Examples:
  appt queue list
  appt queue replay
  appt queue drop q1a2b3`,
    );
  queue
    .command('list')
    .description('Show queued intents (all logins; MINE says whose)')
    .option(
      '--json',
      'print {"items":[{id,kind,appointmentId,idempotencyKey,version,queuedAt,identity,mine,lastError?,lastAttempt?}],"problems":[string]}',
    )
    .addHelpText('after', "\nExamples:\n  appt queue list\n  appt queue list --json | jq '.items[].id'")
    .action(async (o: { json?: boolean }) => {
      const { loadSession } = await import('../config.js');
      const { fileStorage } = await import('../queue/file.js');
      const { identityOf, queuePath, sameIdentity } = await import('../queue/store.js');
      const store = await f.config();
      const session = loadSession(io.env, store);
      const who = session ? identityOf(session) : undefined;
      const storage = fileStorage(queuePath(store.dir));
      const items = storage
        .read()
        .items.map((q) => ({ ...q, mine: who ? sameIdentity(q.identity, who) : false }));
      for (const p of storage.problems) io.err(`appt: ${p}\n`);
      if (o.json) {
        io.out(`${JSON.stringify({ items, problems: storage.problems })}\n`);
        if (storage.problems.length) throw new CliError('queue file was unreadable (see above)', EXIT.failed);
        return;
      }
      if (storage.problems.length) throw new CliError('queue file was unreadable (see above)', EXIT.failed);
      if (!items.length) {
        io.err('queue empty\n');
        return;
      }
      const { table } = await import('../format.js');
      io.out(
        table(
          io,
          [
            { header: 'ID' },
            { header: 'ACTION' },
            { header: 'STATE' },
            { header: 'DETAIL', flex: true },
            { header: 'MINE' },
            { header: 'APPOINTMENT' },
            { header: 'QUEUED' },
          ],
          items.map((q) => [
            q.id,
            q.kind,
            q.lastError
              ? `conflict: ${q.lastError.code}`
              : q.lastAttempt
                ? `queued (${q.lastAttempt.error.code})`
                : 'queued',
            q.lastError?.detail ?? q.summary ?? '',
            q.mine ? 'yes' : `no (${q.identity?.name ?? q.identity?.server ?? q.server})`,
            q.appointmentId,
            q.queuedAt,
          ]),
        ),
      );
    });
  queue
    .command('replay')
    .description("Send this login's queued intents now (all, or the given ids); exit 3 on a conflict")
    .argument('[ids...]', "queue ids (default: all of this login's)")
    .option(
      '--json',
      'print {"results":[{id,kind,appointmentId,result:"applied"|"already"|"conflict"|"refused"|"failed"|"offline"|"busy",queued,error?}]}',
    )
    .addHelpText('after', '\nExamples:\n  appt queue replay\n  appt queue replay q1a2b3 --json')
    .action(async (ids: string[], o: { json?: boolean }) => {
      const { replayQueue } = await import('../queue-replay.js');
      await using(f, async () => {
        const rt = await f.runtime({ json: o.json, replay: false });
        const results = await replayQueue(rt, ids.length ? { ids } : {});
        if (o.json) io.out(`${JSON.stringify({ results })}\n`);
        else if (!results.length) io.err('queue empty\n');
        else
          for (const r of results)
            io.out(
              `${r.id} ${r.kind} ${r.appointmentId}: ${r.result}${r.error ? ` (${r.error.code})` : ''}\n`,
            );
        // with --json the results above are the one document: the reason goes to stderr only
        const fail = (m: string, code: number) => new CliError(m, code).printed();
        if (results.some((r) => r.result === 'offline'))
          throw fail('offline — still queued, not confirmed', EXIT.queued);
        if (results.some((r) => r.result === 'conflict'))
          throw fail('some queued intents were refused (see above)', EXIT.conflict);
        if (results.some((r) => r.result === 'refused' || r.result === 'failed'))
          throw fail('some queued intents were not applied (see above)', EXIT.failed);
      });
    });
  queue
    .command('drop')
    .description('Remove queued intents without sending them')
    .argument('<ids...>', 'queue ids, or "all" (this login\'s)')
    .option('--json', 'print {"dropped":[id]}')
    .addHelpText('after', '\nExamples:\n  appt queue drop q1a2b3\n  appt queue drop all')
    .action(async (ids: string[], o: { json?: boolean }) => {
      const { loadSession } = await import('../config.js');
      const { fileStorage } = await import('../queue/file.js');
      const { identityOf, queuePath, QueueStore } = await import('../queue/store.js');
      const store = await f.config();
      const session = loadSession(io.env, store);
      const q = new QueueStore(
        fileStorage(queuePath(store.dir)),
        session ? identityOf(session) : { server: '', tokenHash: '' },
      );
      const targets = ids.includes('all') ? q.mine().map((x) => x.id) : ids;
      const dropped = targets.filter((id) => q.drop(id));
      for (const p of q.problems) io.err(`appt: ${p}\n`);
      const missing = targets.filter((id) => !dropped.includes(id));
      if (o.json) io.out(`${JSON.stringify({ dropped })}\n`);
      else for (const id of dropped) io.out(`dropped ${id}\n`);
      if (missing.length)
        throw new CliError(`not in the queue: ${missing.join(', ')}`, EXIT.failed).printed();
    });
  return queue;
}
