import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';
import type { NormalizedParams } from './credential.ts';

/** The variant's storage id: a hash of the normalized parameters (parameters themselves are stored beside it). */
export const variantId = (params: NormalizedParams): string =>
  createHash('sha256').update(canonicalJson(params)).digest('hex').slice(0, 24);
