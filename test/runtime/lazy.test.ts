import { describe, expect, it } from 'vitest';
import { InternalError, SecretThrottledError } from '../../shared/core/errors.ts';
import { lazy } from '../../shared/runtime/lazy.ts';

describe('lazy', () => {
  it('loads once and shares the result with every later call', async () => {
    let loads = 0;
    const get = lazy(
      async () => ++loads,
      (cause) => new InternalError('x', { cause }),
    );
    expect(await Promise.all([get(), get(), get()])).toEqual([1, 1, 1]);
    expect(loads).toBe(1);
  });

  it('forgets a failed load so the next call tries again, wrapping a foreign error', async () => {
    let loads = 0;
    const get = lazy(
      async () => {
        loads += 1;
        if (loads === 1) throw new TypeError('module missing');
        return 'ready';
      },
      (cause) => new InternalError('not loaded', { cause }),
    );
    await expect(get()).rejects.toMatchObject({ code: 'INTERNAL', message: 'not loaded' });
    expect(await get()).toBe('ready');
  });

  it('passes a broker error from the load through unchanged', async () => {
    const failure = new SecretThrottledError('slow down');
    const get = lazy(
      async () => Promise.reject(failure),
      (cause) => new InternalError('x', { cause }),
    );
    await expect(get()).rejects.toBe(failure);
  });
});
