/**
 * Loads the Ink app for a person at a terminal. Ink decides at import time (is-in-ci)
 * whether it runs under CI and, if so, draws only the last frame at exit — a blank
 * screen for someone using the TUI in a shell where CI happens to be set. A real
 * terminal on stdout is a person, so it is not CI for Ink.
 */
export async function loadTui(): Promise<typeof import('./app.js')> {
  if (process.stdout.isTTY && process.env.CI !== undefined) process.env.CI = 'false';
  return import('./app.js');
}
