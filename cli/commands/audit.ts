import type { Command } from 'commander';
import { CliError, EXIT } from '../exit-codes.js';
import { addTo, type Factory, makeFactory, using } from '../factory.js';
import type { IO } from '../io.js';

export function register(program: Command, io: IO): void {
  addTo(program, newCmdAudit(makeFactory(io, program)));
}

/** `appt audit [id]`: parsing only; the run is runAudit (or a test's runF). */
export function newCmdAudit(
  f: Factory,
  runF: (id: string | undefined, o: { verify?: boolean; json?: boolean }) => Promise<void> = (id, o) =>
    runAudit(f, id, o),
): Command {
  return f
    .createCommand('audit')
    .description("An appointment's audit trail, or --verify the whole hash chain")
    .argument('[id]', 'appointment id')
    .option('--verify', 'check every hash chain (GET /admin/audit/verify); exit 1 when broken')
    .option(
      '--json',
      'print {"items":[AuditEntry & {"by"}]} (actor {id,type,name,role}; "by" in words); --verify: {"ok","entries","chains","firstBadId"?,"subject"?,"problem"?,"detail"?}',
    )
    .addHelpText(
      'after',
      `
Times are in the provider's zone, named in the header; BY names the actor in words
("demo front desk, staff", a customer's name, "system").

Examples:
  appt audit 0190a…
  appt audit --verify --json`,
    )
    .action(async (id: string | undefined, o: { verify?: boolean; json?: boolean }) => runF(id, o));
}

export async function runAudit(
  f: Factory,
  id: string | undefined,
  o: { verify?: boolean; json?: boolean },
): Promise<void> {
  const { io } = f;
  if (!id && !o.verify) throw new CliError('give an appointment id or --verify', EXIT.usage);
  if (id && o.verify) throw new CliError('--verify checks everything: do not give an id', EXIT.usage);
  const { toCliError } = await import('../runtime.js');
  const json = Boolean(o.json);
  await using(f, async () => {
    const rt = await f.runtime({ json });
    try {
      if (o.verify) {
        const v = await rt.client.auditVerify();
        if (json) io.out(`${JSON.stringify(v)}\n`);
        else
          io.out(
            v.ok
              ? `audit chain ok: ${v.entries} entries in ${v.chains} chains verified, each against its anchored head\n`
              : `audit chain BROKEN: ${v.detail ?? `at ${v.firstBadId}`}\n`,
          );
        if (!v.ok)
          throw new CliError(`audit chain broken: ${v.detail ?? v.firstBadId}`, EXIT.failed).printed();
        return;
      }
      const [{ items }, detail] = await Promise.all([
        rt.client.audit(String(id)),
        rt.client.appointment(String(id)),
      ]);
      const { actorLabel, auditTable } = await import('../format.js');
      if (json) {
        io.out(`${JSON.stringify({ items: items.map((e) => ({ ...e, by: actorLabel(e.actor) })) })}\n`);
        return;
      }
      io.out(auditTable(io, items, detail.data.timezone, { hash: true }));
    } catch (e) {
      throw toCliError(e, io, json);
    }
  });
}
