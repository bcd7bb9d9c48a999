import type { Static } from '@sinclair/typebox';
import type * as S from './schemas.js';

/** The API's request and response types, taken from the TypeBox schemas (no runtime code). */

export type Channel = 'cli' | 'tui' | 'bulk';

export type Appointment = Static<typeof S.Appointment>;
export type AppointmentDetail = Static<typeof S.AppointmentDetail>;
export type AppointmentPage = Static<typeof S.AppointmentPage>;
export type AuditEntry = Static<typeof S.AuditEntry>;
export type Availability = Static<typeof S.Availability>;
export type Timeslot = Static<typeof S.Timeslot>;
export type Alternative = Static<typeof S.Alternative>;
export type Alternatives = Static<typeof S.Alternatives>;
export type Reservation = Static<typeof S.Reservation>;
export type CancelResult = Static<typeof S.CancelResult>;
export type CancellationQuote = Static<typeof S.CancellationQuote>;
export type Me = Static<typeof S.Me>;
export type Provider = Static<typeof S.Provider>;
export type Service = Static<typeof S.Service>;
export type TimeOff = Static<typeof S.TimeOff>;
export type User = Static<typeof S.User>;
export type TokenInfo = Static<typeof S.TokenInfo>;
export type CreatedToken = Static<typeof S.CreatedToken>;
export type AuditPage = Static<typeof S.AuditPage>;
export type AuditVerify = Static<typeof S.AuditVerify>;
export type CheckResult = Static<typeof S.CheckResult>;
export type CreateProvider = Static<typeof S.CreateProvider>;
export type CreateService = Static<typeof S.CreateService>;
export type HoursBody = Static<typeof S.HoursBody>;
export type TimeOffBody = Static<typeof S.TimeOffBody>;
export type CreateUser = Static<typeof S.CreateUser>;
export type CreateToken = Static<typeof S.CreateToken>;
export type Hours = { weekday: number; start: string; end: string }[];
