import { createHash } from 'node:crypto';

/**
 * A short, non-reversible identifier of a token or secret: the first 16 hex characters of its
 * SHA-256. Safe to log, return to callers and store; enough to tell versions apart, far too short
 * and one-way to recover the value.
 */
export const fingerprint = (value: string): string =>
  createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 16);
