import { createServer } from 'node:net';
import { CliError, EXIT } from '../exit-codes.js';

/**
 * The server's start-up opens the database, seeds and starts job workers before it listens;
 * a taken port then failed late and the workers kept the process alive (it hung). So the
 * port is tried first, and a listen failure that still happens (a race) ends at once.
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
