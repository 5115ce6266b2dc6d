import { createHash, timingSafeEqual } from 'node:crypto';

/** Compares secrets without leaking, through timing, how much of a guess was right. */
export const constantTimeEqual = (a: string, b: string): boolean =>
  timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
