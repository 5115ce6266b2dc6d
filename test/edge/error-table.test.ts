import { describe, expect, it } from 'vitest';
import type { AnswerCode } from '../../shared/core/answer-code.ts';
import {
  BrokerError,
  InternalError,
  TokenUnavailableError,
  UpstreamFatalError,
} from '../../shared/core/errors.ts';
import { ERROR_TABLE, PUBLIC_ERROR_CODES, toPublicError } from '../../shared/edge/error-table.ts';

const EXPECTED: Record<AnswerCode, [status: number, publicCode: AnswerCode]> = {
  BAD_REQUEST: [400, 'BAD_REQUEST'],
  POLICY_DENIED: [403, 'POLICY_DENIED'],
  ROUTE_NOT_FOUND: [404, 'ROUTE_NOT_FOUND'],
  METHOD_NOT_ALLOWED: [405, 'METHOD_NOT_ALLOWED'],
  PAYLOAD_TOO_LARGE: [413, 'PAYLOAD_TOO_LARGE'],
  UNSUPPORTED_MEDIA_TYPE: [415, 'UNSUPPORTED_MEDIA_TYPE'],
  MIN_TTL_UNSATISFIABLE: [422, 'MIN_TTL_UNSATISFIABLE'],
  TOKEN_UNAVAILABLE: [503, 'TOKEN_UNAVAILABLE'],
  UPSTREAM_RETRYABLE: [503, 'TOKEN_UNAVAILABLE'],
  UPSTREAM_TIMEOUT: [503, 'TOKEN_UNAVAILABLE'],
  SECRET_THROTTLED: [503, 'TOKEN_UNAVAILABLE'],
  SECRET_UNAVAILABLE: [503, 'TOKEN_UNAVAILABLE'],
  STORE_UNAVAILABLE: [503, 'TOKEN_UNAVAILABLE'],
  CIPHER_UNAVAILABLE: [503, 'TOKEN_UNAVAILABLE'],
  UPSTREAM_CREDENTIALS_REJECTED: [502, 'UPSTREAM_FATAL'],
  UPSTREAM_FATAL: [502, 'UPSTREAM_FATAL'],
  UPSTREAM_MALFORMED: [502, 'UPSTREAM_FATAL'],
  UPSTREAM_REFRESH_REJECTED: [502, 'UPSTREAM_FATAL'],
  SECRET_NOT_FOUND: [500, 'INTERNAL'],
  SECRET_ACCESS_DENIED: [500, 'INTERNAL'],
  SECRET_MALFORMED: [500, 'INTERNAL'],
  DECRYPT_FAILED: [500, 'INTERNAL'],
  ENCRYPT_FAILED: [500, 'INTERNAL'],
  SIGNING_FAILED: [500, 'INTERNAL'],
  CONFIG_INVALID: [500, 'INTERNAL'],
  INTERNAL: [500, 'INTERNAL'],
};

const INTERNALS = 'secret arn:aws:secretsmanager:us-east-1:111122223333:secret:canvas table broker-tokens';

describe('the error table', () => {
  it('has exactly one row per error code', () => {
    expect(Object.keys(ERROR_TABLE).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(Object.entries(EXPECTED))('answers %s with %j', (code, [status, publicCode]) => {
    const answer = toPublicError(new BrokerError(code as AnswerCode, `${code}: ${INTERNALS}`));
    expect(answer.status).toBe(status);
    expect(answer.code).toBe(publicCode);
    if (status < 500) expect(answer.message).toBe(`${code}: ${INTERNALS}`);
    else expect(answer.message).not.toContain('secret');
  });

  it('exposes only a small stable set of codes to callers', () => {
    expect([...PUBLIC_ERROR_CODES].sort()).toEqual(
      [
        'BAD_REQUEST',
        'INTERNAL',
        'METHOD_NOT_ALLOWED',
        'MIN_TTL_UNSATISFIABLE',
        'PAYLOAD_TOO_LARGE',
        'POLICY_DENIED',
        'ROUTE_NOT_FOUND',
        'TOKEN_UNAVAILABLE',
        'UNSUPPORTED_MEDIA_TYPE',
        'UPSTREAM_FATAL',
      ].sort(),
    );
  });

  it('gives every 503 a whole-second Retry-After from the error, bounded', () => {
    expect(toPublicError(new TokenUnavailableError('x', { retryAfterSeconds: 2.2 })).retryAfterSeconds).toBe(
      3,
    );
    expect(toPublicError(new TokenUnavailableError('x', { retryAfterSeconds: 0 })).retryAfterSeconds).toBe(1);
    expect(toPublicError(new TokenUnavailableError('x', { retryAfterSeconds: 1e9 })).retryAfterSeconds).toBe(
      3600,
    );
    expect(toPublicError(new BrokerError('STORE_UNAVAILABLE', 'x')).retryAfterSeconds).toBe(5);
    expect(toPublicError(new UpstreamFatalError('x')).retryAfterSeconds).toBeUndefined();
    expect(toPublicError(new BrokerError('BAD_REQUEST', 'x')).retryAfterSeconds).toBeUndefined();
  });

  it('answers anything that is not a BrokerError with a generic 500', () => {
    for (const thrown of [
      new TypeError(`boom ${INTERNALS}`),
      'a string',
      undefined,
      { code: 'BAD_REQUEST', message: 'x' },
    ]) {
      expect(toPublicError(thrown)).toEqual({ status: 500, code: 'INTERNAL', message: 'Internal error.' });
    }
    expect(toPublicError(new InternalError(INTERNALS)).message).toBe('Internal error.');
  });

  it('keeps 4xx messages printable and bounded', () => {
    const answer = toPublicError(new BrokerError('BAD_REQUEST', `bad\u0000\n${'x'.repeat(1000)}`));
    expect(answer.message).toMatch(/^[\x20-\x7E]+$/);
    expect(answer.message.length).toBeLessThanOrEqual(303);
  });
});
