import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import {
  candidateSlots,
  dayInHorizon,
  decodeTimeslotId,
  encodeTimeslotId,
  isBookableTime,
  type ServiceShape,
  slotStatus,
} from './slots.js';

const svc30: ServiceShape = {
  id: 'svc',
  durationMinutes: 30,
  bufferBeforeMinutes: 0,
  bufferAfterMinutes: 0,
  slotStepMinutes: 30,
  minNoticeMinutes: 0,
  maxAdvanceDays: 365,
};
const everyDay = (start: number, end: number) =>
  [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, startMinute: start, endMinute: end }));
const local = (ms: number, zone: string) => DateTime.fromMillis(ms, { zone }).toFormat('HH:mm');

describe('candidateSlots across DST', () => {
  for (const [zone, spring, fall] of [
    ['America/New_York', '2030-03-10', '2030-11-03'],
    ['Europe/London', '2030-03-31', '2030-10-27'],
  ] as const) {
    it(`${zone}: a 09:00–17:00 day is 8 local hours of slots on both DST days`, () => {
      for (const day of [spring, fall]) {
        const slots = candidateSlots(day, zone, everyDay(9 * 60, 17 * 60), svc30);
        expect(slots).toHaveLength(16);
        expect(local(slots[0].start, zone)).toBe('09:00');
        expect(local(slots[15].start, zone)).toBe('16:30');
        expect(slots[15].end - slots[0].start).toBe(8 * 3600_000);
        for (const s of slots) expect(DateTime.fromMillis(s.start, { zone }).toISODate()).toBe(day);
      }
    });

    it(`${zone}: on the spring-forward day no slot starts in the missing hour`, () => {
      const slots = candidateSlots(spring, zone, everyDay(0, 6 * 60), svc30);
      const gapHour = zone === 'America/New_York' ? '02' : '01';
      const starts = slots.map((s) => local(s.start, zone));
      expect(starts.some((s) => s.startsWith(`${gapHour}:`))).toBe(false);
      // 6 wall hours minus the missing one = 5 real hours = 10 slots
      expect(slots).toHaveLength(10);
      expect(new Set(slots.map((s) => s.start)).size).toBe(10);
    });

    it(`${zone}: on the fall-back day the repeated hour is offered once`, () => {
      const slots = candidateSlots(fall, zone, everyDay(0, 6 * 60), svc30);
      const repeated = zone === 'America/New_York' ? '01' : '01';
      const starts = slots.map((s) => local(s.start, zone));
      expect(starts.filter((s) => s === `${repeated}:00`)).toHaveLength(1);
      expect(starts.filter((s) => s === `${repeated}:30`)).toHaveLength(1);
      expect(slots).toHaveLength(12);
      // ids are unique and slots ascend in real time
      expect(new Set(slots.map((s) => s.id)).size).toBe(12);
      for (let i = 1; i < slots.length; i++) expect(slots[i].start).toBeGreaterThan(slots[i - 1].start);
    });
  }

  it('Pacific/Auckland: a local day that crosses UTC midnight keeps all its slots on the local date', () => {
    const slots = candidateSlots('2030-01-08', 'Pacific/Auckland', everyDay(9 * 60, 17 * 60), svc30);
    expect(slots).toHaveLength(16);
    expect(new Date(slots[0].start).toISOString()).toBe('2030-01-07T20:00:00.000Z');
    expect(new Date(slots[15].end).toISOString()).toBe('2030-01-08T04:00:00.000Z');
    const utcDays = new Set(slots.map((s) => new Date(s.start).toISOString().slice(0, 10)));
    expect(utcDays).toEqual(new Set(['2030-01-07', '2030-01-08']));
  });

  it('a slot must end inside its window; step and duration may differ', () => {
    const svc60 = { ...svc30, durationMinutes: 60, slotStepMinutes: 30 };
    const slots = candidateSlots('2030-01-07', 'UTC', everyDay(9 * 60, 11 * 60), svc60);
    expect(slots.map((s) => local(s.start, 'UTC'))).toEqual(['09:00', '09:30', '10:00']);
  });

  it('a weekday without hours has no slots; windows are per ISO weekday', () => {
    const mondayOnly = [{ weekday: 1, startMinute: 540, endMinute: 600 }];
    expect(candidateSlots('2030-01-07', 'UTC', mondayOnly, svc30)).toHaveLength(2); // Monday
    expect(candidateSlots('2030-01-08', 'UTC', mondayOnly, svc30)).toHaveLength(0); // Tuesday
  });

  it('buffers widen the blocked interval, not the slot', () => {
    const buffered = { ...svc30, bufferBeforeMinutes: 10, bufferAfterMinutes: 15 };
    const [s] = candidateSlots('2030-01-07', 'UTC', everyDay(540, 570), buffered);
    expect(s.blockStart).toBe(s.start - 10 * 60_000);
    expect(s.blockEnd).toBe(s.end + 15 * 60_000);
  });
});

describe('slot status and policies', () => {
  const [slot] = candidateSlots('2030-01-07', 'UTC', everyDay(540, 570), svc30);
  const at = (a: number, b: number) => ({ start: slot.start + a * 60_000, end: slot.start + b * 60_000 });

  it('booked beats reserved beats blocked; touching intervals do not overlap', () => {
    expect(slotStatus(slot, { booked: [], reserved: [], blocked: [] })).toBe('available');
    expect(slotStatus(slot, { booked: [at(30, 60)], reserved: [at(-30, 0)], blocked: [] })).toBe('available');
    expect(slotStatus(slot, { booked: [], reserved: [], blocked: [at(29, 40)] })).toBe('blocked');
    expect(slotStatus(slot, { booked: [], reserved: [at(10, 20)], blocked: [at(0, 5)] })).toBe('reserved');
    expect(slotStatus(slot, { booked: [at(-5, 1)], reserved: [at(10, 20)], blocked: [] })).toBe('booked');
  });

  it('minimum notice: a slot exactly at now+notice is bookable, one minute earlier is not', () => {
    const s = { ...svc30, minNoticeMinutes: 120 };
    expect(isBookableTime(slot.start, s, slot.start - 120 * 60_000)).toBe(true);
    expect(isBookableTime(slot.start, s, slot.start - 119 * 60_000)).toBe(false);
    expect(isBookableTime(slot.start, svc30, slot.start)).toBe(true);
    expect(isBookableTime(slot.start, svc30, slot.start + 1)).toBe(false);
  });

  it('horizon: today through maxAdvanceDays in the provider zone', () => {
    const now = Date.parse('2030-01-07T23:30:00Z'); // already Jan 8 in Auckland
    const s = { ...svc30, maxAdvanceDays: 2 };
    expect(dayInHorizon('2030-01-07', 'UTC', s, now)).toBe(true);
    expect(dayInHorizon('2030-01-06', 'UTC', s, now)).toBe(false);
    expect(dayInHorizon('2030-01-09', 'UTC', s, now)).toBe(true);
    expect(dayInHorizon('2030-01-10', 'UTC', s, now)).toBe(false);
    expect(dayInHorizon('2030-01-07', 'Pacific/Auckland', s, now)).toBe(false);
    expect(dayInHorizon('2030-01-10', 'Pacific/Auckland', s, now)).toBe(true);
  });

  it('timeslot ids round-trip and reject garbage', () => {
    const id = encodeTimeslotId('svc-1', 1894021200000);
    expect(decodeTimeslotId(id)).toEqual({ serviceId: 'svc-1', start: 1894021200000 });
    expect(decodeTimeslotId('nope')).toBeNull();
    expect(decodeTimeslotId('ts_!!!')).toBeNull();
    expect(decodeTimeslotId(`ts_${Buffer.from('svc|abc').toString('base64url')}`)).toBeNull();
  });
});
