import { describe, expect, it } from 'vitest';
import { TokenUnavailableError } from '../../shared/core/errors.ts';
import { tokenUnavailable } from '../../shared/core/token-unavailable.ts';

describe('tokenUnavailable', () => {
  it('is a TOKEN_UNAVAILABLE error retryable after whole seconds, at least one', () => {
    const cause = new Error('inner');
    const error = tokenUnavailable(1_200, { reason: 'REFRESH_IN_PROGRESS' }, cause);
    expect(error).toBeInstanceOf(TokenUnavailableError);
    expect(error.retryAfterSeconds).toBe(2);
    expect(error.details).toEqual({ reason: 'REFRESH_IN_PROGRESS' });
    expect(error.cause).toBe(cause);
    expect(tokenUnavailable(0, { reason: 'X' }).retryAfterSeconds).toBe(1);
  });
});
