import type { Command } from 'commander';
import { CliError, EXIT } from '../exit-codes.js';
import type { IO } from '../io.js';

export function register(program: Command, io: IO): void {
  const queue = program
    .command('queue')
    .description('The offline queue: cancel/reschedule intents made while the server was unreachable')
    .addHelpText(
      'after',
      `
Queued intents keep their idempotency key and the version they saw; the next online command
replays them first. Refused ones (conflicts) stay here, marked, until replayed or dropped.

Examples:
  appt queue list
  appt queue replay
  appt queue drop q1a2b3`,
    );
  queue
    .command('list')
    .description('Show queued intents')
    .option('--json', 'print {"items":[{id,kind,appointmentId,idempotencyKey,version,queuedAt,lastError?}]}')
    .action(async (o: { json?: boolean }) => {
      const { openStore } = await import('../config.js');
      const items = openStore(io.env).queue();
      if (o.json) {
        io.out(`${JSON.stringify({ items })}\n`);
        return;
      }
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
            { header: 'APPOINTMENT' },
            { header: 'QUEUED' },
            { header: 'STATE' },
            { header: 'DETAIL', flex: true },
          ],
          items.map((q) => [
            q.id,
            q.kind,
            q.appointmentId,
            q.queuedAt,
            q.lastError ? `conflict: ${q.lastError.code}` : 'queued',
            q.lastError?.detail ?? q.summary ?? '',
          ]),
        ),
      );
    });
  queue
    .command('replay')
    .description('Send queued intents now (all, or the given ids); exit 3 on a conflict')
    .argument('[ids...]', 'queue ids (default: all)')
    .option(
      '--json',
      'print {"results":[{id,kind,appointmentId,result:"applied"|"already"|"conflict"|"failed"|"offline",error?}]}',
    )
    .action(async (ids: string[], o: { json?: boolean }) => {
      const { withRuntime } = await import('../runtime.js');
      const { replayQueue } = await import('../queue-replay.js');
      await withRuntime(io, { json: o.json, replay: false }, async (rt) => {
        const results = await replayQueue(rt, ids.length ? { ids } : {});
        if (o.json) io.out(`${JSON.stringify({ results })}\n`);
        else if (!results.length) io.err('queue empty\n');
        else
          for (const r of results)
            io.out(
              `${r.id} ${r.kind} ${r.appointmentId}: ${r.result}${r.error ? ` (${r.error.code})` : ''}\n`,
            );
        if (results.some((r) => r.result === 'offline'))
          throw new CliError('offline — still queued, not confirmed', EXIT.queued);
        if (results.some((r) => r.result === 'conflict'))
          throw new CliError('some queued intents were refused (see above)', EXIT.conflict);
        if (results.some((r) => r.result === 'failed'))
          throw new CliError('some queued intents failed', EXIT.failed);
      });
    });
  queue
    .command('drop')
    .description('Remove queued intents without sending them')
    .argument('<ids...>', 'queue ids, or "all"')
    .option('--json', 'print {"dropped":[id]}')
    .action(async (ids: string[], o: { json?: boolean }) => {
      const { openStore } = await import('../config.js');
      const store = openStore(io.env);
      const targets = ids.includes('all') ? store.queue().map((q) => q.id) : ids;
      const dropped: string[] = [];
      for (const id of targets) if (await store.removeQueued(id)) dropped.push(id);
      const missing = targets.filter((id) => !dropped.includes(id));
      if (o.json) io.out(`${JSON.stringify({ dropped })}\n`);
      else for (const id of dropped) io.out(`dropped ${id}\n`);
      if (missing.length) throw new CliError(`not in the queue: ${missing.join(', ')}`, EXIT.failed);
    });
}
