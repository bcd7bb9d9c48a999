import { randomBytes } from 'node:crypto';
import { v7 } from 'uuid';

/** Time-ordered ids: inserts stay at the right edge of the indexes, cursors sort naturally. */
export function newId(): string {
  return v7();
}

export function randomToken(prefix: string, bytes = 24): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}
