import { createHash } from 'node:crypto';
import type { NormalizedParams } from './credential.ts';

/** Canonical JSON: keys sorted at every level, so equal parameter sets hash equally. */
const canonical = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
};

/** The variant's storage id: a hash of the normalized parameters (parameters themselves are stored beside it). */
export const variantId = (params: NormalizedParams): string =>
  createHash('sha256').update(canonical(params)).digest('hex').slice(0, 24);
