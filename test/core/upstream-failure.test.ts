import { describe, expect, it } from 'vitest';
import { classifyFailure } from '../../shared/adapters/http/classify-failure.ts';
import type { UpstreamResponse } from '../../shared/adapters/http/upstream-response.ts';
import {
  CredentialsRejectedError,
  SecretMalformedError,
  UpstreamRetryableError,
  UpstreamTimeoutError,
} from '../../shared/core/errors.ts';
import { afterRefreshFailure, isHostTransient, isThrottle } from '../../shared/core/upstream-failure.ts';

/** Real answers of `POST /api/v1/jwts/refresh`, classified by the real HTTP adapter. */
const refreshAnswer = (status: number, body: unknown = '', headers: Record<string, string> = {}) =>
  classifyFailure(
    {
      status,
      headers: new Headers(headers),
      text: typeof body === 'string' ? body : JSON.stringify(body),
      sentAt: 1_000,
      receivedAt: 2_000,
    } satisfies UpstreamResponse,
    { operation: 'Canvas JWT refresh', service: 'canvas', refresh: true },
  );

describe('afterRefreshFailure: the refresh → next step table', () => {
  it.each([
    ['400 invalid refresh', refreshAnswer(400, { errors: { jwt: 'invalid refresh' } })],
    [
      '500 for a token Canvas cannot verify',
      refreshAnswer(500, { errors: [{ message: 'An error occurred.' }] }),
    ],
    ['502 HTML page from a proxy', refreshAnswer(502, '<html><body>Bad Gateway</body></html>')],
    ['503', refreshAnswer(503)],
    ['400 jwt required', refreshAnswer(400, { errors: { jwt: 'required' } })],
    ['404', refreshAnswer(404, { errors: [{ message: 'The specified resource does not exist.' }] })],
    [
      '401 without WWW-Authenticate (scopes)',
      refreshAnswer(401, { errors: [{ message: 'Insufficient scopes' }] }),
    ],
    ['a redirect', refreshAnswer(302)],
    ['an unexpected success status', refreshAnswer(204)],
  ])('mints in the same renewal after %s', (_name, error) => {
    expect(afterRefreshFailure(error)).toBe('mint');
  });

  it.each([
    ['429', refreshAnswer(429, '', { 'Retry-After': '120' })],
    ['403 rate-limit text', refreshAnswer(403, '403 Forbidden (Rate Limit Exceeded)\n')],
    ['408', refreshAnswer(408)],
    ['a network error', new UpstreamRetryableError('Canvas JWT refresh: network error (ECONNRESET)')],
    ['a timeout', new UpstreamTimeoutError('Canvas JWT refresh: no complete response within 5000 ms')],
  ])(
    'fails the renewal without a mint after %s: the whole host is unreachable or throttling',
    (_name, error) => {
      expect(isHostTransient(error)).toBe(true);
      expect(afterRefreshFailure(error)).toBe('fail');
    },
  );

  it('leaves rejected access tokens to the secret re-read one level up, and never mints after non-upstream errors', () => {
    const rejected = refreshAnswer(
      401,
      { errors: [{ message: 'Invalid access token.' }] },
      {
        'WWW-Authenticate': 'Bearer realm="canvas-lms"',
      },
    );
    expect(rejected).toBeInstanceOf(CredentialsRejectedError);
    expect(afterRefreshFailure(rejected)).toBe('fail');
    expect(afterRefreshFailure(new SecretMalformedError('no accessToken'))).toBe('fail');
    expect(afterRefreshFailure(new TypeError('bug'))).toBe('fail');
  });

  it('calls only 429 and the 403 rate-limit text throttling, never a 5xx or a network error', () => {
    expect(isThrottle(refreshAnswer(429))).toBe(true);
    expect(isThrottle(refreshAnswer(403, '403 Forbidden (Rate Limit Exceeded)'))).toBe(true);
    expect(isThrottle(refreshAnswer(403, { status: 'unauthorized' }))).toBe(false);
    expect(isThrottle(refreshAnswer(503))).toBe(false);
    expect(isThrottle(new UpstreamRetryableError('network error'))).toBe(false);
  });
});
