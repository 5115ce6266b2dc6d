import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../../shared/adapters/http/retry-after.ts';

const reference = Date.parse('Sun, 06 Nov 2033 08:49:37 GMT');

describe('parseRetryAfter', () => {
  it('reads integer delay-seconds', () => {
    expect(parseRetryAfter('120', reference)).toBe(120);
    expect(parseRetryAfter(' 0 ', reference)).toBe(0);
  });

  it('reads an HTTP-date relative to the reference time, rounding up', () => {
    expect(parseRetryAfter('Sun, 06 Nov 2033 08:50:07 GMT', reference)).toBe(30);
    expect(parseRetryAfter('Sun, 06 Nov 2033 08:50:07 GMT', reference + 500)).toBe(30);
  });

  it('treats an HTTP-date in the past as no wait at all', () => {
    expect(parseRetryAfter('Sun, 06 Nov 2033 08:00:00 GMT', reference)).toBe(0);
  });

  it('ignores a missing, empty or unparsable value', () => {
    expect(parseRetryAfter(null, reference)).toBeUndefined();
    expect(parseRetryAfter(undefined, reference)).toBeUndefined();
    expect(parseRetryAfter('', reference)).toBeUndefined();
    expect(parseRetryAfter('soon', reference)).toBeUndefined();
    expect(parseRetryAfter('-5', reference)).toBeUndefined();
    expect(parseRetryAfter('1.5', reference)).toBeUndefined();
  });

  it('caps an absurd value at one day', () => {
    expect(parseRetryAfter('999999999', reference)).toBe(86_400);
  });
});
