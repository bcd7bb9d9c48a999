/** The iCalendar content-line rules live in shared/ (used by the CLI as well). */
export * from '../../shared/ics-format.js';
