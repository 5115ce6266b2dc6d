import { describe, expect, it } from 'vitest';
import { SecretNotFoundError, SecretUnavailableError } from '../../shared/core/errors.ts';
import type { SecretSource } from '../../shared/core/secret-source.ts';
import { makeLazySecretSource } from '../../shared/runtime/lazy-secret-source.ts';

describe('makeLazySecretSource', () => {
  it('loads on first read only, and forwards the read options', async () => {
    let loads = 0;
    const seen: unknown[] = [];
    const inner: SecretSource = {
      get: async (secretId, options) => {
        seen.push([secretId, options]);
        return { versionId: 'v1', fields: { accessToken: 'a' } };
      },
    };
    const source = makeLazySecretSource(async () => {
      loads++;
      return inner;
    });
    expect(loads).toBe(0);
    await source.get('s1');
    await source.get('s2', { forceRefresh: true });
    expect(loads).toBe(1);
    expect(seen).toEqual([
      ['s1', undefined],
      ['s2', { forceRefresh: true }],
    ]);
  });

  it('retries a failed load, reporting it as a retryable SECRET_UNAVAILABLE', async () => {
    let loads = 0;
    const source = makeLazySecretSource(async () => {
      if (++loads === 1) throw new Error('chunk failed to load');
      return { get: async () => ({ versionId: 'v', fields: {} }) };
    });
    const error = await source.get('s').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretUnavailableError);
    expect((error as SecretUnavailableError).retryable).toBe(true);
    await expect(source.get('s')).resolves.toMatchObject({ versionId: 'v' });
  });

  it('passes a broker error of the inner source through untouched', async () => {
    const source = makeLazySecretSource(async () => ({
      get: async () => {
        throw new SecretNotFoundError('no such secret');
      },
    }));
    await expect(source.get('s')).rejects.toBeInstanceOf(SecretNotFoundError);
  });
});
