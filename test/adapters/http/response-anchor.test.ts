import { describe, expect, it } from 'vitest';
import { responseAnchor } from '../../../shared/adapters/http/response-anchor.ts';
import type { UpstreamResponse } from '../../../shared/adapters/http/upstream-response.ts';

const response = (
  sentAt: number,
  receivedAt: number,
  headers: Record<string, string> = {},
): UpstreamResponse => ({
  status: 200,
  headers: new Headers(headers),
  text: '',
  sentAt,
  receivedAt,
});

describe('responseAnchor', () => {
  it('uses the local send time when the response has no Date header', () => {
    expect(responseAnchor(response(1_000_000, 1_004_000))).toBe(1_000_000);
  });

  it('moves onto the upstream clock, subtracting the whole round trip from Date', () => {
    const date = 'Wed, 01 Jan 2031 00:00:10 GMT';
    // The local clock runs 5 minutes ahead of the upstream; the round trip took 4 s.
    const local = Date.parse(date) + 300_000;
    expect(responseAnchor(response(local, local + 4_000, { Date: date }))).toBe(Date.parse(date) - 4_000);
  });

  it('falls back to the send time when Date cannot be parsed', () => {
    expect(responseAnchor(response(5_000, 6_000, { date: 'not a date' }))).toBe(5_000);
  });
});
