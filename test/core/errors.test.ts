import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  BrokerError,
  brokerErrorOf,
  CipherUnavailableError,
  type ErrorCode,
  isTransient,
  SecretThrottledError,
  UpstreamFatalError,
  UpstreamRetryableError,
} from '../../shared/core/errors.ts';
import { ERROR_TABLE } from '../../shared/edge/error-table.ts';

describe('broker errors', () => {
  it('narrow the code to the subclass literal on instanceof', () => {
    const error: unknown = new SecretThrottledError('busy');
    if (!(error instanceof SecretThrottledError)) throw new Error('not narrowed');
    expectTypeOf(error.code).toEqualTypeOf<'SECRET_THROTTLED'>();
    expect(error.code).toBe('SECRET_THROTTLED');
  });

  it('name exactly the transient codes as the ones answered 503 besides TOKEN_UNAVAILABLE', () => {
    const answered503 = (Object.keys(ERROR_TABLE) as ErrorCode[]).filter(
      (code) => ERROR_TABLE[code].status === 503 && code !== 'TOKEN_UNAVAILABLE',
    );
    const transient = (Object.keys(ERROR_TABLE) as ErrorCode[]).filter(isTransient);
    expect(transient.sort()).toEqual(answered503.sort());
  });

  it('call a transient error retryable and a fatal one not', () => {
    expect(new CipherUnavailableError('kms down').retryable).toBe(true);
    expect(new UpstreamFatalError('no').retryable).toBe(false);
    expect(isTransient('UPSTREAM_FATAL')).toBe(false);
  });

  it('rebuild an error of a code as that code s own class, keeping its options', () => {
    const cause = new Error('root');
    const error = brokerErrorOf('UPSTREAM_RETRYABLE', 'again', {
      cause,
      upstreamStatus: 429,
      retryAfterSeconds: 7,
    });
    expect(error).toBeInstanceOf(UpstreamRetryableError);
    expect(error).toMatchObject({
      code: 'UPSTREAM_RETRYABLE',
      upstreamStatus: 429,
      retryAfterSeconds: 7,
      cause,
    });
    expect(brokerErrorOf('SECRET_THROTTLED', 'x').retryAfterSeconds).toBeUndefined();
    expect(brokerErrorOf('INTERNAL', 'x')).toBeInstanceOf(BrokerError);
  });
});
