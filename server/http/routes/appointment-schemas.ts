import { Type } from '@sinclair/typebox';

/** Route schema pieces shared by the appointment routes and the staff action routes. */
export const Problem = Type.Ref('Problem');
export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 128 }) });
export const IdemHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ maxLength: 255, description: 'kept 24 h; same key + same request → the stored response' }),
  ),
  'if-match': Type.Optional(Type.String({ description: 'ETag "<version>"; stale → 412' })),
});
export const errors = {
  400: Problem,
  401: Problem,
  403: Problem,
  404: Problem,
  409: Problem,
  412: Problem,
  422: Problem,
};
export const etag = (a: { version: number }) => ({ etag: `"${a.version}"` });
