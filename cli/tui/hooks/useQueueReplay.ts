import { randomUUID } from 'node:crypto';
import type { QueryClient } from '@tanstack/query-core';
import { useEffect, useRef, useState } from 'react';
import type { Me } from '../../../shared/schemas.js';
import { replayQueue } from '../actions.js';
import type { QueuedAction, TuiClock, TuiData, TuiStore } from '../data.js';
import type { TuiEnv } from '../env.js';
import { LIST_STALE_MS } from '../query.js';
import type { RtState } from './useRealtimeSync.js';

/**
 * The offline queue as the shell sees it: its length for the status line, `enqueue` for
 * the screens, and the loop that probes the server while offline, replays the queue when it
 * answers again, and polls when realtime is down. The block is the one that lived in
 * Shell.tsx, moved whole (the shared queue module replaces what it calls).
 */
export function useQueueReplay(props: {
  me: Me | null;
  data: TuiData;
  store: TuiStore;
  qc: QueryClient;
  clock: TuiClock;
  server?: string | undefined;
  online: boolean;
  setOnline(v: boolean): void;
  rt: RtState;
  pollMs?: number | undefined;
  toast: TuiEnv['toast'];
}): { queue: QueuedAction[]; enqueue: TuiEnv['enqueue'] } {
  const { me, qc, toast, clock, online, rt, setOnline } = props;
  const [queue, setQueue] = useState<QueuedAction[]>(() => props.store.queue());
  const replaying = useRef(false);
  const lastPoll = useRef(clock.now());

  const enqueue: TuiEnv['enqueue'] = (a) => {
    const full: QueuedAction = {
      ...a,
      id: randomUUID(),
      queuedAt: new Date(clock.now()).toISOString(),
      server: props.server ?? '',
    };
    setQueue((q) => [...q, full]);
    void props.store.enqueue(full).then(() => setQueue(props.store.queue()));
  };

  // offline: probe until the server answers, then replay the queue; realtime down: poll
  const pollMs = props.pollMs ?? 1500;
  const stateRef = useRef({ online, rt, queue });
  stateRef.current = { online, rt, queue };
  useEffect(() => {
    if (!me) return;
    const t = setInterval(async () => {
      const s = stateRef.current;
      if (!s.online || (s.queue.length > 0 && !replaying.current)) {
        try {
          await props.data.me();
        } catch {
          return;
        }
        setOnline(true);
        if (props.store.queue().length && !replaying.current) {
          replaying.current = true;
          try {
            const res = await replayQueue(props.data, props.store, qc);
            setQueue(props.store.queue());
            const last = res[res.length - 1];
            if (last) toast(`Replayed ${res.length} queued: ${last.message}`, last.ok ? 'ok' : 'error');
          } finally {
            replaying.current = false;
          }
        }
        void qc.invalidateQueries();
      } else if (s.rt !== 'connected' || clock.now() - lastPoll.current >= LIST_STALE_MS) {
        // realtime down: poll; realtime up: still refresh once per list stale time, since
        // staff follow availability channels and some changes (attention flags) do not move
        // a slot
        lastPoll.current = clock.now();
        void qc.refetchQueries({ queryKey: ['appointments'], type: 'active' });
        void qc.refetchQueries({ queryKey: ['appointment'], type: 'active' });
      }
    }, pollMs);
    return () => clearInterval(t);
  }, [me, pollMs, props.data, props.store, qc, toast, setOnline, clock]);

  return { queue, enqueue };
}
