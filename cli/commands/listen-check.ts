import { createServer } from 'node:net';
import { CliError, EXIT } from '../exit-codes.js';

/**
 * A taken port used to fail late (after the seed, with job workers keeping the process
 * alive: it hung). startServer now listens before seeding and starting jobs; the port is
 * also tried here before the database is even opened, and a listen failure that still
 * happens (a race) ends the process at once.
 */
export async function assertPortFree(host: string, port: number): Promise<void> {
  if (!port) return; // 0: the system picks a free one
  await new Promise<void>((resolve, reject) => {
    const s = createServer();
    s.once('error', (e) => reject(listenError(e, host, port)));
    s.listen({ host, port, exclusive: true }, () => s.close(() => resolve()));
  });
}

export function listenError(e: unknown, host: string, port: number): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'EADDRINUSE')
    return new CliError(
      `port ${port} on ${host} is already in use (another appt server?): stop it, or pass --port <n> (0 picks a free port)`,
      EXIT.failed,
    ).exitNow();
  if (code === 'EACCES')
    return new CliError(
      `not allowed to listen on ${host}:${port} (EACCES): pick a port above 1023`,
      EXIT.failed,
    ).exitNow();
  if (code === 'EADDRNOTAVAIL')
    return new CliError(
      `cannot listen on ${host}: no such local address (EADDRNOTAVAIL)`,
      EXIT.usage,
    ).exitNow();
  return e;
}
