import { describe, expect, it } from 'vitest';
import { classifyFailure, type FailureContext } from '../../../shared/adapters/http/classify-failure.ts';
import type { UpstreamResponse } from '../../../shared/adapters/http/upstream-response.ts';

const IDS: FailureContext = { operation: 'Identity Service login', service: 'identity-service' };
const CANVAS: FailureContext = { operation: 'Canvas JWT create', service: 'canvas' };
const REFRESH: FailureContext = { operation: 'Canvas JWT refresh', service: 'canvas', refresh: true };

const RATE_LIMIT_TEXT = '403 Forbidden (Rate Limit Exceeded)\n';
const WWW_AUTH = { 'WWW-Authenticate': 'Bearer realm="canvas-lms"' };

const respond = (
  status: number,
  body: unknown = '',
  headers: Record<string, string> = {},
): UpstreamResponse => ({
  status,
  headers: new Headers(headers),
  text: typeof body === 'string' ? body : JSON.stringify(body),
  sentAt: 1_000,
  receivedAt: 2_000,
});

const classify = (context: FailureContext, ...args: Parameters<typeof respond>) =>
  classifyFailure(respond(...args), context);

describe('classifyFailure: retryable answers', () => {
  it.each([500, 502, 503, 504])('treats HTTP %i as retryable', (status) => {
    const error = classify(CANVAS, status, {
      errors: [{ message: 'An error occurred.', error_code: 'internal' }],
    });
    expect(error.code).toBe('UPSTREAM_RETRYABLE');
    expect(error.upstreamStatus).toBe(status);
    expect(error.retryAfterSeconds).toBeUndefined();
  });

  it('treats 429 as retryable and honours Retry-After in seconds', () => {
    const error = classify(IDS, 429, '', { 'Retry-After': '17' });
    expect(error).toMatchObject({ code: 'UPSTREAM_RETRYABLE', retryAfterSeconds: 17, upstreamStatus: 429 });
  });

  it('measures an HTTP-date Retry-After against the response Date, not the local clock', () => {
    const error = classify(CANVAS, 503, '', {
      Date: 'Wed, 01 Jan 2031 00:00:00 GMT',
      'Retry-After': 'Wed, 01 Jan 2031 00:01:00 GMT',
    });
    expect(error.retryAfterSeconds).toBe(60);
  });

  it('treats the 403 rate-limit text as retryable, estimating 5 s from the leaky bucket', () => {
    for (const context of [CANVAS, IDS]) {
      const error = classify(context, 403, RATE_LIMIT_TEXT, { 'X-Rate-Limit-Remaining': '0.0' });
      expect(error).toMatchObject({ code: 'UPSTREAM_RETRYABLE', retryAfterSeconds: 5, upstreamStatus: 403 });
      expect(error.message).toContain('Rate Limit Exceeded');
    }
  });

  it('prefers a Retry-After over the leaky-bucket estimate', () => {
    expect(classify(CANVAS, 403, RATE_LIMIT_TEXT, { 'Retry-After': '2' }).retryAfterSeconds).toBe(2);
  });

  it('estimates 5 s for a Canvas 429 without Retry-After, and nothing for the Identity Service', () => {
    expect(classify(CANVAS, 429).retryAfterSeconds).toBe(5);
    expect(classify(IDS, 429).retryAfterSeconds).toBeUndefined();
  });
});

describe('classifyFailure: the Identity Service', () => {
  it.each([401, 403])('reads HTTP %i as rejected credentials', (status) => {
    const error = classify(IDS, status, {
      error: { type: 'Unauthorized', uuid: 'u-1', message: 'Invalid credentials' },
    });
    expect(error.code).toBe('UPSTREAM_CREDENTIALS_REJECTED');
    expect(error.message).toBe(`Identity Service login failed: HTTP ${status}: Invalid credentials`);
    expect(error.details).toMatchObject({ upstreamErrorType: 'Unauthorized', upstreamErrorUuid: 'u-1' });
  });

  it('reads an unconfirmed body shape on 401 as rejected credentials too', () => {
    expect(classify(IDS, 401, 'Unauthorized').code).toBe('UPSTREAM_CREDENTIALS_REJECTED');
  });

  it.each(['AccountDisabled', 'AccountNotOnboarded', 'AccountUnderMaintenance'])(
    'treats a 403 %s as a fatal account state',
    (type) => {
      const error = classify(IDS, 403, { error: { type, uuid: 'u-2', message: 'Account state' } });
      expect(error.code).toBe('UPSTREAM_FATAL');
      expect(error.details).toMatchObject({ upstreamErrorType: type });
    },
  );

  it('treats a 400 as fatal', () => {
    expect(classify(IDS, 400, { error: { type: 'BadRequest', message: 'grant_type' } }).code).toBe(
      'UPSTREAM_FATAL',
    );
  });
});

describe('classifyFailure: Canvas', () => {
  it('reads a 401 with WWW-Authenticate as rejected credentials', () => {
    for (const message of ['Invalid access token.', 'Expired access token.', 'Revoked access token.']) {
      const error = classify(CANVAS, 401, { errors: [{ message }] }, WWW_AUTH);
      expect(error.code).toBe('UPSTREAM_CREDENTIALS_REJECTED');
      expect(error.message).toContain(message);
    }
    const unauthenticated = classify(
      CANVAS,
      401,
      { status: 'unauthenticated', errors: [{ message: 'user authorization required' }] },
      { 'www-authenticate': 'Bearer realm="canvas-lms"' },
    );
    expect(unauthenticated.code).toBe('UPSTREAM_CREDENTIALS_REJECTED');
  });

  it('reads a 401 without WWW-Authenticate (insufficient scopes, audience) as fatal', () => {
    expect(
      classify(CANVAS, 401, { errors: [{ message: 'Insufficient scopes on access token.' }] }).code,
    ).toBe('UPSTREAM_FATAL');
    expect(classify(CANVAS, 401, { errors: { jwt: 'unauthorized' } }).code).toBe('UPSTREAM_FATAL');
  });

  it('treats permission envelopes, JWT-auth refusals, validation errors and 404 as fatal', () => {
    const cases: [number, unknown][] = [
      [403, { status: 'unauthorized', errors: [{ message: 'user not authorized to perform that action' }] }],
      [403, { error: 'cannot generate a JWT when authorized by a JWT' }],
      [
        400,
        {
          error: 'invalid_target',
          error_description: 'The requested audience is not permitted for this client',
        },
      ],
      [400, { error: 'Missing context_type parameter.' }],
      [404, { errors: [{ message: 'The specified resource does not exist.' }] }],
      [400, [{ message: 'token[purpose] is missing' }]],
      [400, { errors: { message: 'cannot regenerate an expired token without a new expiration date' } }],
    ];
    for (const [status, body] of cases) {
      const error = classify(CANVAS, status, body);
      expect(error.code).toBe('UPSTREAM_FATAL');
      expect(error.upstreamStatus).toBe(status);
    }
  });

  it('reads refresh "invalid refresh" as a rejected refresh, and "required" as fatal', () => {
    expect(classify(REFRESH, 400, { errors: { jwt: 'invalid refresh' } }).code).toBe(
      'UPSTREAM_REFRESH_REJECTED',
    );
    expect(classify(REFRESH, 400, { errors: { jwt: 'required' } }).code).toBe('UPSTREAM_FATAL');
    // Outside refresh, the same body is just a fatal 400.
    expect(classify(CANVAS, 400, { errors: { jwt: 'invalid refresh' } }).code).toBe('UPSTREAM_FATAL');
  });

  it('reads a 401 on refresh by its WWW-Authenticate like any other call', () => {
    expect(classify(REFRESH, 401, { errors: [{ message: 'Invalid access token.' }] }, WWW_AUTH).code).toBe(
      'UPSTREAM_CREDENTIALS_REJECTED',
    );
  });
});

describe('classifyFailure: unexpected statuses and hostile text', () => {
  it('reports an unexpected success or a redirect as malformed', () => {
    expect(classify(CANVAS, 204).code).toBe('UPSTREAM_MALFORMED');
    expect(classify(CANVAS, 302, '', { location: 'https://elsewhere.example/' }).code).toBe(
      'UPSTREAM_MALFORMED',
    );
  });

  it('never quotes a success body, which may hold a token', () => {
    const error = classify(CANVAS, 202, { token: 'SHORT' });
    expect(error.message).not.toContain('SHORT');
  });

  it('redacts token-shaped text an upstream echoes into an error body', () => {
    const secret = 'abcdefghijklmnopqrstuvwxyz0123456789ABCD';
    const error = classify(
      CANVAS,
      401,
      { errors: [{ message: `Invalid access token ${secret}` }] },
      WWW_AUTH,
    );
    expect(error.message).not.toContain(secret);
    expect(JSON.stringify(error)).not.toContain(secret);
    expect(error.message).toContain('[redacted]');
  });
});
