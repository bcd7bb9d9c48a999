/** The CLI's exit codes: one table (DESIGN §6). */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  conflict: 3,
  auth: 4,
  queued: 5,
} as const;

/** Maps a server error code (or HTTP status) to an exit code. */
export function exitForProblem(code: string | undefined, status: number): number {
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 412) return EXIT.conflict;
  if (code === 'slot_taken' || code === 'reservation_expired' || code === 'appointment_started')
    return EXIT.conflict;
  if (status === 400) return EXIT.usage;
  return EXIT.failed;
}

/** An error a command raises to end with a one-line reason and an exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
  }

  /**
   * The command already wrote its one JSON document for this failure (a result list, or the
   * error object): main prints only the reason on stderr, so stdout holds one document.
   */
  jsonPrinted = false;

  printed(): this {
    this.jsonPrinted = true;
    return this;
  }

  /**
   * End the process as soon as the reason is printed: something already started (job
   * workers, open handles) would keep it alive, e.g. a server whose port is taken.
   */
  exitImmediately = false;

  /** what `--json` prints on stdout for this failure (default: `{ error: { code: "cli", … } }`) */
  jsonBody: unknown = undefined;

  withJson(body: unknown): this {
    this.jsonBody = body;
    return this;
  }

  exitNow(): this {
    this.exitImmediately = true;
    return this;
  }
}
