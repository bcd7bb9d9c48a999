/** iCalendar rendering lives in shared/ (the CLI's `appt export ics` uses it too). */
export * from '../../shared/ics.js';
