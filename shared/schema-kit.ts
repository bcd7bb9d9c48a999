import { type TSchema, Type } from '@sinclair/typebox';

/** The small building blocks every schema file uses. */
export const Iso = Type.String({
  format: 'date-time',
  description: 'ISO 8601 instant; responses are UTC (…Z)',
});
export const Day = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'calendar day YYYY-MM-DD' });
export const Id = Type.String({ minLength: 1, maxLength: 128 });
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
