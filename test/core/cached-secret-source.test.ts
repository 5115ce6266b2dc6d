import { describe, expect, it } from 'vitest';
import { makeCachedSecretSource } from '../../shared/core/cached-secret-source.ts';
import type { Clock } from '../../shared/core/clock.ts';
import { ConfigInvalidError, SecretThrottledError } from '../../shared/core/errors.ts';
import type { SecretReadOptions, SecretSource, SecretValue } from '../../shared/core/secret-source.ts';

const MAX_AGE = 60_000;

/** A clock that only moves when the test says so. */
const fakeClock = (start = 1_700_000_000_000) => {
  let now = start;
  const clock: Clock & { advance(ms: number): void } = {
    now: () => now,
    sleep: async () => undefined,
    advance: (ms) => {
      now += ms;
    },
  };
  return clock;
};

interface PendingRead {
  readonly secretId: string;
  readonly options: SecretReadOptions | undefined;
  resolve(value: SecretValue): void;
  reject(error: unknown): void;
}

/** An inner source whose reads stay pending until the test settles them, in any order. */
const scriptedSource = () => {
  const reads: PendingRead[] = [];
  const inner: SecretSource = {
    get: (secretId, options) =>
      new Promise<SecretValue>((resolve, reject) => reads.push({ secretId, options, resolve, reject })),
  };
  const read = (index: number): PendingRead => {
    const found = reads[index];
    if (!found) throw new Error(`no read #${index} was made`);
    return found;
  };
  return { inner, reads, read };
};

/** An inner source that answers at once with a new version on every call. */
const countingSource = () => {
  let calls = 0;
  const inner: SecretSource = {
    get: async () => {
      calls += 1;
      return { versionId: `v${calls}`, fields: { accessToken: `token-${calls}` } };
    },
  };
  return { inner, calls: () => calls };
};

const value = (versionId: string): SecretValue => ({
  versionId,
  fields: { accessToken: `token-${versionId}` },
});
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('cached secret source', () => {
  it('serves a value again without asking the inner source while it is younger than the max age', async () => {
    const clock = fakeClock();
    const { inner, calls } = countingSource();
    const source = makeCachedSecretSource(inner, { clock, maxAgeMs: MAX_AGE });
    expect((await source.get('s')).versionId).toBe('v1');
    clock.advance(MAX_AGE - 1);
    expect((await source.get('s')).versionId).toBe('v1');
    expect(calls()).toBe(1);
  });

  it('reads again once the max age has passed on the injected clock', async () => {
    const clock = fakeClock();
    const { inner, calls } = countingSource();
    const source = makeCachedSecretSource(inner, { clock, maxAgeMs: MAX_AGE });
    await source.get('s');
    clock.advance(MAX_AGE);
    expect((await source.get('s')).versionId).toBe('v2');
    expect(calls()).toBe(2);
  });

  it('treats a clock that went backwards as expired, so a correction cannot stretch the cache life', async () => {
    const clock = fakeClock();
    const { inner, calls } = countingSource();
    const source = makeCachedSecretSource(inner, { clock, maxAgeMs: MAX_AGE });
    await source.get('s');
    clock.advance(-1);
    await source.get('s');
    expect(calls()).toBe(2);
  });

  it('caches each secret id separately', async () => {
    const clock = fakeClock();
    const { inner, calls } = countingSource();
    const source = makeCachedSecretSource(inner, { clock, maxAgeMs: MAX_AGE });
    await source.get('a');
    await source.get('b');
    await source.get('a');
    expect(calls()).toBe(2);
  });

  it('keeps one cache per instance', async () => {
    const clock = fakeClock();
    const { inner, calls } = countingSource();
    await makeCachedSecretSource(inner, { clock, maxAgeMs: MAX_AGE }).get('s');
    await makeCachedSecretSource(inner, { clock, maxAgeMs: MAX_AGE }).get('s');
    expect(calls()).toBe(2);
  });

  it('asks the inner source every time when the max age is 0', async () => {
    const { inner, calls } = countingSource();
    const source = makeCachedSecretSource(inner, { clock: fakeClock(), maxAgeMs: 0 });
    await source.get('s');
    await source.get('s');
    expect(calls()).toBe(2);
  });

  it('bypasses the cache on forceRefresh, passes it on, and keeps the new value for later reads', async () => {
    const clock = fakeClock();
    const { inner, reads, read } = scriptedSource();
    const source = makeCachedSecretSource(inner, { clock, maxAgeMs: MAX_AGE });
    const first = source.get('s');
    await flush();
    read(0).resolve(value('v1'));
    await first;

    const forced = source.get('s', { forceRefresh: true });
    await flush();
    expect(reads).toHaveLength(2);
    expect(read(1).options).toEqual({ forceRefresh: true });
    read(1).resolve(value('v2'));
    expect((await forced).versionId).toBe('v2');

    expect((await source.get('s')).versionId).toBe('v2');
    expect(reads).toHaveLength(2);
  });

  it('shares one inner read between concurrent callers of one secret', async () => {
    const { inner, reads, read } = scriptedSource();
    const source = makeCachedSecretSource(inner, { clock: fakeClock(), maxAgeMs: MAX_AGE });
    const all = Promise.all(Array.from({ length: 50 }, () => source.get('s')));
    await flush();
    expect(reads).toHaveLength(1);
    read(0).resolve(value('v1'));
    const results = await all;
    expect(results.every((result) => result.versionId === 'v1')).toBe(true);
  });

  it('does not cache a failure: every waiter gets it, and the next call asks again', async () => {
    const { inner, reads, read } = scriptedSource();
    const source = makeCachedSecretSource(inner, { clock: fakeClock(), maxAgeMs: MAX_AGE });
    const waiting = [source.get('s'), source.get('s')];
    await flush();
    const failure = new SecretThrottledError('throttled');
    read(0).reject(failure);
    for (const promise of waiting) await expect(promise).rejects.toBe(failure);

    const retry = source.get('s');
    await flush();
    expect(reads).toHaveLength(2);
    read(1).resolve(value('v1'));
    expect((await retry).versionId).toBe('v1');
  });

  it('turns a synchronous throw of the inner source into a rejection that is not cached', async () => {
    let calls = 0;
    const inner: SecretSource = {
      get: () => {
        calls += 1;
        if (calls === 1) throw new SecretThrottledError('throttled');
        return Promise.resolve(value('v1'));
      },
    };
    const source = makeCachedSecretSource(inner, { clock: fakeClock(), maxAgeMs: MAX_AGE });
    await expect(source.get('s')).rejects.toBeInstanceOf(SecretThrottledError);
    await expect(source.get('s')).resolves.toMatchObject({ versionId: 'v1' });
  });

  it('does not let a forced refresh join a plain read that started before it', async () => {
    const { inner, reads, read } = scriptedSource();
    const source = makeCachedSecretSource(inner, { clock: fakeClock(), maxAgeMs: MAX_AGE });
    const plain = source.get('s');
    await flush();
    const forced = source.get('s', { forceRefresh: true });
    await flush();
    expect(reads).toHaveLength(2);
    read(1).resolve(value('v2'));
    read(0).resolve(value('v1'));
    expect((await plain).versionId).toBe('v1');
    expect((await forced).versionId).toBe('v2');
  });

  it('lets concurrent forced refreshes, and plain reads that come after them, share one read', async () => {
    const { inner, reads, read } = scriptedSource();
    const source = makeCachedSecretSource(inner, { clock: fakeClock(), maxAgeMs: MAX_AGE });
    const callers = [
      source.get('s', { forceRefresh: true }),
      source.get('s', { forceRefresh: true }),
      source.get('s'),
    ];
    await flush();
    expect(reads).toHaveLength(1);
    read(0).resolve(value('v2'));
    for (const caller of callers) expect((await caller).versionId).toBe('v2');
  });

  it('never lets an older read that finishes late overwrite a newer cached value', async () => {
    const { inner, reads, read } = scriptedSource();
    const source = makeCachedSecretSource(inner, { clock: fakeClock(), maxAgeMs: MAX_AGE });
    const plain = source.get('s');
    await flush();
    const forced = source.get('s', { forceRefresh: true });
    await flush();
    read(1).resolve(value('new'));
    await forced;
    read(0).resolve(value('old'));
    await plain;
    expect((await source.get('s')).versionId).toBe('new');
    expect(reads).toHaveLength(2);
  });

  it('lets a caller stop waiting on abort without cancelling the shared read for the others', async () => {
    const { inner, reads, read } = scriptedSource();
    const source = makeCachedSecretSource(inner, { clock: fakeClock(), maxAgeMs: MAX_AGE });
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    const impatient = source.get('s', { signal: controller.signal });
    const patient = source.get('s');
    await flush();
    expect(reads).toHaveLength(1);
    expect(read(0).options?.signal).toBeUndefined();
    controller.abort(reason);
    await expect(impatient).rejects.toBe(reason);
    read(0).resolve(value('v1'));
    expect((await patient).versionId).toBe('v1');
    expect((await source.get('s')).versionId).toBe('v1');
    expect(reads).toHaveLength(1);
  });

  it('rejects at once with the reason of a signal that is already aborted', async () => {
    const { inner, reads } = scriptedSource();
    const source = makeCachedSecretSource(inner, { clock: fakeClock(), maxAgeMs: MAX_AGE });
    const reason = new Error('already gone');
    await expect(source.get('s', { signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(reads).toHaveLength(0);
  });

  it('hands every caller a frozen value, so one caller cannot change another’s secret', async () => {
    const { inner } = countingSource();
    const source = makeCachedSecretSource(inner, { clock: fakeClock(), maxAgeMs: MAX_AGE });
    const result = await source.get('s');
    expect(Object.isFrozen(result)).toBe(true);
    expect(Object.isFrozen(result.fields)).toBe(true);
  });

  it('refuses a negative or non-finite max age', () => {
    const { inner } = countingSource();
    for (const maxAgeMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => makeCachedSecretSource(inner, { clock: fakeClock(), maxAgeMs })).toThrow(
        ConfigInvalidError,
      );
    }
  });
});
