import { Box, Text } from 'ink';
import { useEffect, useState } from 'react';
import type { Appointment } from '../../../shared/schemas.js';
import { addDays } from '../../../shared/time.js';
import { errorText, isOffline, type ListKey, type ListQuery } from '../data.js';
import { useEnv } from '../env.js';
import { useKeys } from '../keys.js';
import { cell, rowColumns, STATUS_COLOR } from '../format.js';
import { snapshotKeys } from '../../config.js';
import { itemsOf, useList } from '../query.js';
import { OfflineBanner, Prompt } from './Parts.js';

export type ListView =
  | { kind: 'user'; userId: string; customer: string; filter: 'upcoming' | 'history' }
  | { kind: 'day'; date: string; tz: string; q?: string };

export type QuickKind = 'reschedule' | 'tomorrow' | 'next' | 'pick';

export interface ListProps {
  view: ListView;
  setView(v: ListView | ((prev: ListView) => ListView)): void;
  staff: boolean;
  active: boolean;
  width: number;
  height: number;
  selected: number;
  setSelected(n: number | ((prev: number) => number)): void;
  onOpen(a: Appointment): void;
  onQuick(a: Appointment, kind: QuickKind, date?: string): void;
  onCancel(a: Appointment): void;
}

export function listQuery(v: ListView): ListKey {
  return v.kind === 'user'
    ? { mode: 'user', userId: v.userId, filter: v.filter }
    : { mode: 'day', date: v.date, tz: v.tz, ...(v.q ? { q: v.q } : {}) };
}

/** AppointmentsList: tabs, a window of rows (only visible rows are rendered), quick actions. */
export function ListScreen(p: ListProps) {
  const env = useEnv();
  const q = listQuery(p.view);
  const snapKey = snapshotKeys.list({ tui: q.mode, ...q });
  const res = useList(env.qc, q, (cursor) =>
    env.data.list({ ...q, ...(cursor ? { cursor } : {}) } as ListQuery),
  );
  const [prompt, setPrompt] = useState<null | { kind: 'search' | 'pick'; text: string }>(null);
  const offline = res.error && isOffline(res.error);
  const snap = offline ? env.store.getSnapshot<Appointment[]>(snapKey) : undefined;
  const items = res.data ? itemsOf(res.data) : (snap?.data ?? []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: snapshot when the fetch result changes
  useEffect(() => {
    if (res.error && isOffline(res.error)) env.setOnline(false);
    // only a fetch made now proves the server is there; cached data from before does not
    else if (res.isSuccess && !res.isPlaceholderData && res.isFetchedAfterMount) {
      env.setOnline(true);
      env.markRefreshed();
      // the snapshot is a whole-file rewrite: keep it small and at most one per key every 20 s
      const prev = env.store.getSnapshot(snapKey);
      if (!prev || env.clock.now() - Date.parse(prev.at) > 20_000)
        env.store.setSnapshot(
          snapKey,
          itemsOf(res.data).slice(0, 100),
          new Date(env.clock.now()).toISOString(),
        );
    }
  }, [res.dataUpdatedAt, res.errorUpdatedAt]);

  const sel = Math.min(p.selected, Math.max(0, items.length - 1));
  const current = items[sel];
  // infinite scroll: ask for the next page a few rows before the end
  useEffect(() => {
    if (sel >= items.length - 5 && res.hasNextPage && !res.isFetchingNextPage && !res.isFetching)
      void res.fetchNextPage();
  }, [sel, items.length, res.hasNextPage, res.isFetchingNextPage, res.isFetching, res.fetchNextPage]);

  const bodyHeight = Math.max(3, p.height - (prompt ? 1 : 0));
  const [offset, setOffset] = useState(0);
  let top = offset;
  if (sel < top) top = sel;
  if (sel >= top + bodyHeight) top = sel - bodyHeight + 1;
  if (top !== offset) setOffset(top);

  useKeys(
    (input, key) => {
      const move = (d: number) =>
        p.setSelected((s) => Math.max(0, Math.min(items.length - 1, Math.min(s, items.length - 1) + d)));
      if (key.downArrow || input === 'j') return move(1);
      if (key.upArrow || input === 'k') return move(-1);
      if (key.pageDown) return move(bodyHeight);
      if (key.pageUp) return move(-bodyHeight);
      if (key.tab) {
        if (p.view.kind === 'user')
          return p.setView({ ...p.view, filter: p.view.filter === 'upcoming' ? 'history' : 'upcoming' });
        return toCustomer('upcoming');
      }
      if (input === 'd') {
        if (p.view.kind === 'day') return toCustomer('upcoming');
        if (!p.staff) return env.toast('the day view is for staff tokens', 'error');
        return p.setView({ kind: 'day', date: todayIn(env), tz: localZone() });
      }
      if ((input === '[' || input === ']') && p.view.kind === 'day') {
        p.setSelected(0);
        const d = input === '[' ? -1 : 1;
        return p.setView((v) => (v.kind === 'day' ? { ...v, q: undefined, date: addDays(v.date, d) } : v));
      }
      if (input === '/') {
        if (!p.staff) return env.toast('search is for staff tokens', 'error');
        env.setTyping(true);
        return setPrompt({ kind: 'search', text: p.view.kind === 'day' ? (p.view.q ?? '') : '' });
      }
      if (!current) return;
      if (key.return) return p.onOpen(current);
      if (input === 'r') return p.onQuick(current, 'reschedule');
      if (input === 't') return p.onQuick(current, 'tomorrow');
      if (input === 'n') return p.onQuick(current, 'next');
      if (input === 'c') return p.onCancel(current);
      if (input === 'p') {
        env.setTyping(true);
        return setPrompt({ kind: 'pick', text: '' });
      }
    },
    { isActive: p.active && !prompt },
  );

  function toCustomer(filter: 'upcoming' | 'history') {
    if (!current) return env.toast('no appointment selected', 'error');
    p.setSelected(0);
    p.setView({ kind: 'user', userId: current.userId, customer: current.userName, filter });
  }

  const showCustomer = p.staff;
  const tabs = (
    <Box>
      {p.staff && (
        <Text inverse={p.view.kind === 'day'}>
          {' '}
          Day {p.view.kind === 'day' ? (p.view.q ? `search “${p.view.q}”` : p.view.date) : ''}{' '}
        </Text>
      )}
      <Text inverse={p.view.kind === 'user' && p.view.filter === 'upcoming'}> Upcoming </Text>
      <Text inverse={p.view.kind === 'user' && p.view.filter === 'history'}> History </Text>
      {p.view.kind === 'user' && p.staff && <Text dimColor> {cell(p.view.customer, 24).trimEnd()}</Text>}
      <Text dimColor>
        {' '}
        {items.length ? `row ${sel + 1}/${items.length}${res.hasNextPage ? '+' : ''}` : ''}
        {res.isFetching && !res.isLoading ? ' ↻' : ''}
      </Text>
    </Box>
  );

  let body: React.ReactNode;
  if (res.isLoading && !snap) body = <Text>Loading appointments…</Text>;
  else if (res.error && !offline)
    body = <Text color="red">Could not load appointments: {errorText(res.error)}</Text>;
  else if (items.length === 0)
    body = (
      <Text dimColor>
        {offline ? 'No saved appointments for this view.' : 'No appointments here.'}
        {p.view.kind === 'day' ? ' [ ] change day · / search' : ' Tab switches Upcoming / History'}
      </Text>
    );
  else
    body = items.slice(top, top + bodyHeight).map((a, i) => {
      const idx = top + i;
      const c = rowColumns(a, p.width, showCustomer);
      const queued = env.queue.find((x) => x.appointmentId === a.id);
      const selectedRow = idx === sel;
      return (
        // one Text per row (nested Texts are not layout nodes): fewer yoga nodes per frame
        <Text key={a.id} wrap="truncate">
          <Text inverse={selectedRow}>
            {selectedRow ? '›' : ' '} {c.when} {showCustomer ? `${c.customer} ` : ''}
            {c.provider} {c.service}{' '}
          </Text>
          {queued ? (
            <Text color="yellow">{cell(queued.kind === 'cancel' ? 'queued cancel' : 'queued move', 13)}</Text>
          ) : (
            <Text color={STATUS_COLOR[a.status]}>{c.status}</Text>
          )}
          <Text inverse={selectedRow}>{c.price}</Text>
        </Text>
      );
    });

  return (
    <Box flexDirection="column">
      {tabs}
      {offline && <OfflineBanner at={snap?.at} />}
      <Box flexDirection="column" height={bodyHeight}>
        {body}
      </Box>
      {prompt && (
        <Prompt
          label={prompt.kind === 'search' ? 'Search customer or provider: ' : 'Pick date (YYYY-MM-DD): '}
          value={prompt.text}
          onChange={(text) => setPrompt({ ...prompt, text })}
          onCancel={() => {
            env.setTyping(false);
            setPrompt(null);
          }}
          onSubmit={(text) => {
            env.setTyping(false);
            setPrompt(null);
            if (prompt.kind === 'search') {
              p.setSelected(0);
              const base =
                p.view.kind === 'day'
                  ? p.view
                  : { kind: 'day' as const, date: todayIn(env), tz: localZone() };
              p.setView({ ...base, q: text.trim() || undefined });
            } else if (current) p.onQuick(current, 'pick', text.trim());
          }}
        />
      )}
    </Box>
  );
}

export const localZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

export function todayIn(env: { clock: { now(): number } }, zone = localZone()): string {
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(new Date(env.clock.now()));
}
