import type { QueryClient } from '@tanstack/query-core';
import { createContext, useContext } from 'react';
import type { Me } from '../../shared/schemas.js';
import type { QueuedAction, TuiClock, TuiData, TuiStore } from './data.js';

/** What every screen needs: the data layer, the cache, the clock, local store and app-level signals. */
export interface TuiEnv {
  data: TuiData;
  qc: QueryClient;
  clock: TuiClock;
  store: TuiStore;
  me: Me;
  online: boolean;
  /** the server could not be reached; flips the app into snapshot + queue mode */
  setOnline(v: boolean): void;
  toast(text: string, tone?: 'info' | 'error' | 'ok'): void;
  queue: QueuedAction[];
  enqueue(a: Omit<QueuedAction, 'id' | 'queuedAt' | 'server'>): void;
  markRefreshed(): void;
  /** text fields swallow q/? while focused */
  setTyping(v: boolean): void;
}

export const EnvContext = createContext<TuiEnv | null>(null);

export function useEnv(): TuiEnv {
  const e = useContext(EnvContext);
  if (!e) throw new Error('TuiEnv missing');
  return e;
}
