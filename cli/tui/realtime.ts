import type { RealtimeFeed } from './data.js';

/** Placeholder until shared/realtime-client.ts lands: no feed, the app polls instead. */
export function pusherFeed(_server: string, _token: string): RealtimeFeed | undefined {
  return undefined;
}
