import type { Static } from '@sinclair/typebox';
import type * as C from './catalog-schemas.js';
import type * as S from './schemas.js';

/** Types of the catalog edit endpoints (types only: the client loads no TypeBox for them). */
export type UpdateService = Static<typeof C.UpdateService>;
export type Removed = Static<typeof C.Removed>;
export type UpdateProvider = Static<typeof S.UpdateProvider>;
