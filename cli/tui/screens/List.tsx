import { Box } from 'ink';
import { Text } from '../ui.js';
import { DateTime } from 'luxon';
import { useEffect, useState } from 'react';
import type { Appointment } from '../../../shared/schemas.js';
import { addDays } from '../../../shared/time.js';
import { snapshotKeys } from '../../config.js';
import { errorText, isOffline, type ListKey, type ListQuery } from '../data.js';
import { useEnv } from '../env.js';
import { headerColumns, localTime, rowColumns, STATUS_COLOR, type ZoneMode } from '../format.js';
import { useKeys } from '../keys.js';
import {
  flatLines,
  groupByProvider,
  type ListLine,
  matchesSearch,
  orderSearch,
  parsePickDate,
  serverTerm,
} from '../listing.js';
import { itemsOf, useList } from '../query.js';
import { OfflineBanner, Prompt } from './Parts.js';

export type ListView =
  | { kind: 'user'; userId: string; customer: string; filter: 'upcoming' | 'history' }
  | { kind: 'day'; date: string; tz: string; q?: string | undefined };

export type QuickKind = 'reschedule' | 'tomorrow' | 'next' | 'pick';

/**
 * The selection follows the appointment id, not the row number: an outside change that
 * reorders or shrinks the list keeps the cursor on the same appointment. When that
 * appointment leaves the view, `lost` says which one it was and nothing is selected until
 * the user moves (`index` is where it was, so j/k continue from there).
 */
export interface Selection {
  id: string | null;
  index: number;
  label: string;
  lost: string | null;
}
export const NO_SELECTION: Selection = { id: null, index: 0, label: '', lost: null };

export interface ListProps {
  view: ListView;
  setView(v: ListView | ((prev: ListView) => ListView)): void;
  staff: boolean;
  active: boolean;
  width: number;
  height: number;
  selection: Selection;
  setSelection(s: Selection | ((prev: Selection) => Selection)): void;
  onOpen(a: Appointment): void;
  onQuick(a: Appointment, kind: QuickKind, date?: string): void;
  onCancel(a: Appointment): void;
}

export function listQuery(v: ListView): ListKey {
  if (v.kind === 'user') return { mode: 'user', userId: v.userId, filter: v.filter };
  // the server's q is one substring: ask for one typed word, match all of them here
  return v.q
    ? { mode: 'day', date: v.date, tz: v.tz, q: serverTerm(v.q) }
    : { mode: 'day', date: v.date, tz: v.tz };
}

const labelOf = (a: Appointment) =>
  `${a.serviceTitle} · ${a.userName}, ${localTime(a.start, a.timezone, 'ccc dd LLL HH:mm')}`;
const select = (a: Appointment, index: number): Selection => ({
  id: a.id,
  index,
  label: labelOf(a),
  lost: null,
});

/** AppointmentsList: tabs, column headers, a window of rows (only visible rows are rendered), quick actions. */
export function ListScreen(p: ListProps) {
  const env = useEnv();
  const q = listQuery(p.view);
  const snapKey = snapshotKeys.list({ tui: q.mode, ...q });
  const res = useList(env.qc, q, (cursor) =>
    env.data.list({ ...q, ...(cursor ? { cursor } : {}) } as ListQuery),
  );
  const [prompt, setPrompt] = useState<null | { kind: 'search' | 'pick'; text: string; error?: string }>(
    null,
  );
  const offline = res.error && isOffline(res.error);
  const snap = offline ? env.store.getSnapshot<Appointment[]>(snapKey) : undefined;
  // rows of the previous view (kept by the query while this one loads) are not shown: a key
  // pressed now must act on a row of the view in the title
  const stale = res.isPlaceholderData;
  const raw = res.data && !stale ? itemsOf(res.data) : (snap?.data ?? []);
  const search = p.view.kind === 'day' ? p.view.q : undefined;

  // what is on screen, in display order: a day grouped by provider; a search filtered by
  // every typed word with upcoming first; a customer's tabs as the server orders them
  let lines: ListLine[];
  let order: Appointment[];
  if (search) {
    order = orderSearch(
      raw.filter((a) => matchesSearch(a, search)),
      env.clock.now(),
    );
    lines = flatLines(order);
  } else if (p.view.kind === 'day') ({ lines, order } = groupByProvider(raw));
  else {
    order = raw;
    lines = flatLines(raw);
  }

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

  const sel = p.selection;
  const found = sel.id ? order.findIndex((a) => a.id === sel.id) : -1;
  // data fetched for this very view (not the previous view's rows shown while loading)
  const fresh = (!!res.data && !res.isPlaceholderData) || !!snap;
  let cur: number | null;
  if (found >= 0) cur = found;
  else if (sel.id === null && !sel.lost && order.length) cur = 0;
  else cur = null;
  const current = cur === null ? undefined : order[cur];

  // biome-ignore lint/correctness/useExhaustiveDependencies: react to what is on screen
  useEffect(() => {
    if (sel.id && found < 0 && fresh)
      // the selected appointment left this view (another desk moved or cancelled it)
      p.setSelection((s) => (s.id === sel.id ? { ...s, id: null, lost: s.label } : s));
    // the default row is taken from this view's own rows, never the previous view's
    else if (fresh && sel.id === null && !sel.lost && order[0]) p.setSelection(select(order[0], 0));
  }, [sel.id, sel.lost, found, fresh, order[0]?.id]);

  // infinite scroll: ask for the next page a few rows before the end
  useEffect(() => {
    if ((cur ?? 0) >= order.length - 5 && res.hasNextPage && !res.isFetchingNextPage && !res.isFetching)
      void res.fetchNextPage();
  }, [cur, order.length, res.hasNextPage, res.isFetchingNextPage, res.isFetching, res.fetchNextPage]);

  const bodyHeight = Math.max(3, p.height - 2 - (prompt ? 1 : 0) - (sel.lost ? 1 : 0));
  const selLine = cur === null ? -1 : lines.findIndex((l) => l.kind === 'row' && l.index === cur);
  const [offset, setOffset] = useState(0);
  let top = Math.min(offset, Math.max(0, lines.length - bodyHeight));
  if (selLine >= 0) {
    // keep the group header above the selected row in view when there is room
    const want = selLine > 0 && lines[selLine - 1]?.kind === 'group' ? selLine - 1 : selLine;
    if (want < top) top = want;
    if (selLine >= top + bodyHeight) top = selLine - bodyHeight + 1;
  }
  if (top !== offset) setOffset(top);

  const resetSelection = () => p.setSelection(NO_SELECTION);

  useKeys(
    (input, key) => {
      const moveTo = (to: (from: number | null, s: Selection) => number) =>
        p.setSelection((s) => {
          if (!order.length) return s;
          // an id not in these rows yet (the rows are still the previous view's) moves from
          // the row on screen; a lost one from where it was
          const found = s.id ? order.findIndex((a) => a.id === s.id) : -1;
          const i = found >= 0 ? found : s.lost ? null : (cur ?? 0);
          const n = Math.max(0, Math.min(order.length - 1, to(i, s)));
          return select(order[n]!, n);
        });
      // from nothing selected (the row left the view), j selects the row now in its place
      const step = (d: number) => moveTo((i, s) => (i === null ? s.index + (d > 0 ? 0 : -1) : i + d));
      if (key.downArrow || input === 'j') return step(1);
      if (key.upArrow || input === 'k') return step(-1);
      if (key.pageDown) return step(bodyHeight);
      if (key.pageUp) return step(-bodyHeight);
      if (key.home || input === 'g') return moveTo(() => 0);
      if (key.end || input === 'G') return moveTo(() => order.length - 1);
      if (key.escape && search) {
        // Esc leaves the search, back to the day it was opened from
        resetSelection();
        return p.setView((v) => (v.kind === 'day' ? { ...v, q: undefined } : v));
      }
      if (key.tab) {
        if (p.view.kind === 'user')
          return p.setView({ ...p.view, filter: p.view.filter === 'upcoming' ? 'history' : 'upcoming' });
        return toCustomer('upcoming');
      }
      if (input === 'd') {
        if (p.view.kind === 'day') return toCustomer('upcoming');
        if (!p.staff) return env.toast('the day view is for staff tokens', 'error');
        resetSelection();
        return p.setView({ kind: 'day', date: todayIn(env), tz: localZone() });
      }
      if ((input === '[' || input === ']') && p.view.kind === 'day') {
        resetSelection();
        const d = input === '[' ? -1 : 1;
        return p.setView((v) => (v.kind === 'day' ? { ...v, q: undefined, date: addDays(v.date, d) } : v));
      }
      if (input === '/') {
        if (!p.staff) return env.toast('search is for staff tokens', 'error');
        env.setTyping(true);
        // the field starts empty: a new search, not an edit of the last one
        return setPrompt({ kind: 'search', text: '' });
      }
      if (!'rtncp\r'.includes(input || (key.return ? '\r' : '§'))) return;
      // nothing acts on a row the user did not select
      if (!current)
        return env.toast(
          sel.lost
            ? 'Nothing selected: the appointment left this view — j/k select a row'
            : 'Nothing selected',
          'error',
        );
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
    resetSelection();
    p.setView({ kind: 'user', userId: current.userId, customer: current.userName, filter });
  }

  // a search that found one customer names them once, and the row keeps its room for times
  const oneCustomer = search && order.length > 0 && order.every((a) => a.userId === order[0]!.userId);
  const showCustomer = p.staff && !oneCustomer;
  // the day view's group headers name the provider: its column goes, names get the room
  const showProvider = !(p.view.kind === 'day' && !search);
  // times carry their zone: the day view's group headers name it; a flat list names its one
  // zone in the column header, or each row's when the rows come from several
  const zoneSet = new Set(order.map((a) => a.timezone));
  const zones: ZoneMode = !showProvider
    ? { kind: 'groups' }
    : zoneSet.size <= 1
      ? { kind: 'one', zone: [...zoneSet][0] ?? localZone() }
      : { kind: 'rows' };
  const dayTitle =
    p.view.kind === 'day'
      ? search
        ? `search “${search}”`
        : `${DateTime.fromISO(p.view.date).toFormat('ccc')} ${p.view.date} in ${p.view.tz}`
      : '';
  // one Text: the tabs never squeeze, whatever follows is cut at the edge
  const tabs = (
    <Text wrap="truncate">
      {p.staff && <Text inverse={p.view.kind === 'day'}> Day {dayTitle} </Text>}
      <Text inverse={p.view.kind === 'user' && p.view.filter === 'upcoming'}> Upcoming </Text>
      <Text inverse={p.view.kind === 'user' && p.view.filter === 'history'}> History </Text>
      <Text dimColor>
        {p.view.kind === 'user' && p.staff ? ` ${p.view.customer}` : ''}{' '}
        {order.length ? `${cur === null ? '–' : cur + 1}/${order.length}${res.hasNextPage ? '+' : ''}` : ''}
        {res.isFetching && !res.isLoading ? ' ↻' : ''}
        {oneCustomer ? ` · ${order[0]!.userName}` : ''}
        {search ? ' · Esc leaves the search' : ''}
        {zones.kind === 'one' && order.length ? ` · times in ${zones.zone}` : ''}
      </Text>
    </Text>
  );

  const h = headerColumns(p.width, showCustomer, showProvider, zones);
  const header = (
    <Text dimColor bold wrap="truncate">
      {'  '}
      {h.when} {showCustomer ? `${h.customer} ` : ''}
      {showProvider ? `${h.provider} ` : ''}
      {h.service} {h.status}
      {h.price}
    </Text>
  );

  let body: React.ReactNode;
  if ((res.isLoading || stale) && !snap) body = <Text>Loading appointments…</Text>;
  else if (res.error && !offline)
    body = <Text color="red">Could not load appointments: {errorText(res.error)}</Text>;
  else if (order.length === 0)
    body = (
      <Text dimColor>
        {offline
          ? 'No saved appointments for this view.'
          : search
            ? `Nothing matches “${search}”.`
            : 'No appointments here.'}
        {p.view.kind === 'day' ? ' [ ] change day · / search' : ' Tab switches Upcoming / History'}
      </Text>
    );
  else
    body = lines.slice(top, top + bodyHeight).map((l) => {
      if (l.kind === 'group')
        return (
          <Text key={l.key} bold color="cyan" wrap="truncate">
            {l.text}
          </Text>
        );
      const a = l.a;
      const c = rowColumns(a, p.width, showCustomer, showProvider, zones);
      const queued = env.queue.find((x) => x.appointmentId === a.id);
      const selectedRow = l.index === cur;
      const status = queued
        ? (queued.kind === 'cancel' ? 'queued cancel' : 'queued move').padEnd(13)
        : c.status;
      return (
        // one Text per row (nested Texts are not layout nodes); the highlight covers the whole row
        <Text key={a.id} wrap="truncate" inverse={selectedRow}>
          {selectedRow ? '›' : ' '} {c.when} {showCustomer ? `${c.customer} ` : ''}
          {showProvider ? `${c.provider} ` : ''}
          {c.service}{' '}
          <Text color={queued ? 'yellow' : a.needsAttention ? 'red' : STATUS_COLOR[a.status]}>{status}</Text>
          {c.price}
        </Text>
      );
    });

  return (
    <Box flexDirection="column">
      {tabs}
      {offline && <OfflineBanner at={snap?.at} />}
      {sel.lost && (
        <Text color="yellow" wrap="truncate">
          The selected appointment left this view: {sel.lost} · nothing selected, j/k select a row
        </Text>
      )}
      {header}
      <Box flexDirection="column" height={bodyHeight}>
        {body}
      </Box>
      {prompt && (
        <Prompt
          label={
            prompt.kind === 'search' ? 'Search customer or provider: ' : 'Pick date (today, +3, fri, 12-24): '
          }
          value={prompt.text}
          error={prompt.error}
          onChange={(text) => setPrompt({ ...prompt, text, error: undefined })}
          onCancel={() => {
            env.setTyping(false);
            setPrompt(null);
          }}
          onSubmit={(text) => {
            if (prompt.kind === 'search') {
              env.setTyping(false);
              setPrompt(null);
              resetSelection();
              const base =
                p.view.kind === 'day'
                  ? p.view
                  : { kind: 'day' as const, date: todayIn(env), tz: localZone() };
              p.setView({ ...base, q: text.trim() || undefined });
              return;
            }
            if (!current) return;
            const r = parsePickDate(text, env.clock.now(), current.timezone);
            // a bad or past day keeps the prompt open and says why
            if (!r.ok) return setPrompt({ ...prompt, text, error: r.error });
            if (r.past) return setPrompt({ ...prompt, text, error: `${r.date} is in the past` });
            env.setTyping(false);
            setPrompt(null);
            p.onQuick(current, 'pick', r.date);
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
