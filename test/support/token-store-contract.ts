import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NormalizedParams } from '../../shared/core/credential.ts';
import type {
  CredentialHold,
  FailureRecord,
  LeaseRecord,
  MintRecord,
  TokenRecord,
  TokenStore,
  VariantKey,
} from '../../shared/core/token-store.ts';

/**
 * The TokenStore port's contract, as one suite every adapter runs (memory, DynamoDB). It pins the
 * semantics the broker's safety rests on: leases are granted only against exactly what the taker
 * saw, token writes are fenced on lease and version, and stale reports or late writers never win.
 *
 * `setup` runs once per suite; every test works on its own fresh credential ids, so tests need no
 * cleanup and may share one table.
 */
export interface TokenStoreUnderTest {
  readonly store: TokenStore;
  teardown(): Promise<void>;
}

const T0 = 1_700_000_000_000;
const INIT = {
  kind: 'canvas-jwt' as const,
  params: { workflows: ['ui', 'user'], contextType: 'Course', contextId: '42' } satisfies NormalizedParams,
};

const uniqueCredentialId = (): string => `cred-${randomBytes(6).toString('hex')}`;
const keyOf = (credentialId = uniqueCredentialId(), variantId = 'v0a1b2c3d4'): VariantKey => ({
  credentialId,
  variantId,
});

const leaseOf = (id: string, at = T0): LeaseRecord => ({ id, owner: `instance-${id}`, at, ms: 15_000 });

const tokenOf = (n: number, extra: Partial<TokenRecord> = {}): TokenRecord => ({
  envelope: {
    keyRef: 'local:test-key',
    encryptedKey: `ZW5jcnlwdGVkLWtleS0${n}`,
    iv: 'aXYtMTIzNDU2Nzg5',
    tag: `dGFnLXRhZy0${n}`,
    ciphertext: `Y2lwaGVydGV4dC0${n}`,
  },
  fingerprint: `${n}`.padStart(16, 'f'),
  issuedAt: T0 + n * 1000,
  expiresAt: T0 + n * 1000 + 3_600_000,
  refreshAt: T0 + n * 1000 + 2_700_000,
  refreshableUntil: T0 + n * 1000 + 7_200_000,
  readableExpiry: true,
  secretVersionId: `secret-version-${n}`,
  renewalMs: 20 + n,
  ...extra,
});

const failureOf = (id: string, count = 1): FailureRecord => ({
  id,
  code: 'UPSTREAM_RETRYABLE',
  at: T0,
  holdMs: 30_000,
  count,
});

const mintOf = (key: VariantKey, issuedAt: number, version = 1): MintRecord => ({
  key,
  fingerprint: `${issuedAt}`.padStart(16, '0').slice(-16),
  issuedAt,
  expiresAt: issuedAt + 3_600_000,
  secretVersionId: 'secret-version-1',
  version,
  instanceId: 'instance-a',
  via: version === 1 ? 'mint' : 'refresh',
});

export const describeTokenStoreContract = (name: string, setup: () => Promise<TokenStoreUnderTest>): void => {
  describe(`${name} token store contract`, () => {
    let subject: TokenStoreUnderTest;
    let store: TokenStore;

    beforeAll(async () => {
      subject = await setup();
      store = subject.store;
    });
    afterAll(async () => {
      await subject?.teardown();
    });

    /** A variant holding token `n` at version 1, its lease released by the write. */
    const withToken = async (key = keyOf(), n = 1): Promise<VariantKey> => {
      expect(await store.acquireLease(key, INIT, leaseOf('seed'), { version: 0 })).toBe(true);
      expect(await store.putToken(key, 'seed', 0, tokenOf(n))).toBe(true);
      return key;
    };

    describe('reading', () => {
      it('answers undefined for a variant that was never leased', async () => {
        expect(await store.read(keyOf())).toBeUndefined();
      });
    });

    describe('acquireLease', () => {
      it('creates the item at version 0 with kind, params and the lease when the first lease is taken', async () => {
        const key = keyOf();
        expect(await store.acquireLease(key, INIT, leaseOf('a'), { version: 0 })).toBe(true);
        const item = await store.read(key);
        expect(item).toEqual({ key, kind: INIT.kind, params: INIT.params, version: 0, lease: leaseOf('a') });
      });

      it('refuses a second lease while the first is held', async () => {
        const key = keyOf();
        await store.acquireLease(key, INIT, leaseOf('a'), { version: 0 });
        expect(await store.acquireLease(key, INIT, leaseOf('b'), { version: 0 })).toBe(false);
        expect((await store.read(key))?.lease?.id).toBe('a');
      });

      it('takes over a lease only with the exact lease id the taker saw', async () => {
        const key = keyOf();
        await store.acquireLease(key, INIT, leaseOf('a'), { version: 0 });
        expect(await store.acquireLease(key, INIT, leaseOf('b'), { version: 0, leaseId: 'other' })).toBe(
          false,
        );
        expect(
          await store.acquireLease(key, INIT, leaseOf('b', T0 + 20_000), { version: 0, leaseId: 'a' }),
        ).toBe(true);
        expect((await store.read(key))?.lease).toEqual(leaseOf('b', T0 + 20_000));
        // A third taker that still saw lease a is too late: b was granted after it looked.
        expect(await store.acquireLease(key, INIT, leaseOf('c'), { version: 0, leaseId: 'a' })).toBe(false);
      });

      it('refuses a lease when the version moved since the taker read the item', async () => {
        const key = await withToken();
        expect(await store.acquireLease(key, INIT, leaseOf('late'), { version: 0 })).toBe(false);
        expect(await store.acquireLease(key, INIT, leaseOf('now'), { version: 1 })).toBe(true);
      });

      it('refuses a lease when a failure is present that the taker did not see', async () => {
        const key = keyOf();
        await store.acquireLease(key, INIT, leaseOf('a'), { version: 0 });
        await store.putFailure(key, 'a', failureOf('f1'));
        expect(await store.acquireLease(key, INIT, leaseOf('b'), { version: 0 })).toBe(false);
        expect(await store.acquireLease(key, INIT, leaseOf('b'), { version: 0, failureId: 'f0' })).toBe(
          false,
        );
        expect(await store.acquireLease(key, INIT, leaseOf('b'), { version: 0, failureId: 'f1' })).toBe(true);
      });

      it('keeps the failure record when a lease is taken after its hold, so the backoff count survives', async () => {
        const key = keyOf();
        await store.acquireLease(key, INIT, leaseOf('a'), { version: 0 });
        await store.putFailure(key, 'a', failureOf('f1', 3));
        await store.acquireLease(key, INIT, leaseOf('b'), { version: 0, failureId: 'f1' });
        const item = await store.read(key);
        expect(item?.lease?.id).toBe('b');
        expect(item?.failure).toEqual(failureOf('f1', 3));
      });

      it('refuses a lease when a failure the taker saw is gone', async () => {
        const key = await withToken();
        expect(await store.acquireLease(key, INIT, leaseOf('b'), { version: 1, failureId: 'f-gone' })).toBe(
          false,
        );
      });

      it('does not create the item for a taker that expected a lease, a failure or a later version', async () => {
        const key = keyOf();
        expect(await store.acquireLease(key, INIT, leaseOf('a'), { version: 0, leaseId: 'x' })).toBe(false);
        expect(await store.acquireLease(key, INIT, leaseOf('a'), { version: 0, failureId: 'f' })).toBe(false);
        expect(await store.acquireLease(key, INIT, leaseOf('a'), { version: 3 })).toBe(false);
        expect(await store.read(key)).toBeUndefined();
      });

      it('keeps the kind and params of an existing item when a later lease passes different ones', async () => {
        const key = await withToken();
        await store.acquireLease(key, { kind: 'inst-access', params: {} }, leaseOf('b'), { version: 1 });
        const item = await store.read(key);
        expect(item?.kind).toBe(INIT.kind);
        expect(item?.params).toEqual(INIT.params);
      });

      it('grants exactly one of 50 concurrent leases on a cold variant', async () => {
        const key = keyOf();
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            store.acquireLease(key, INIT, leaseOf(`c${i}`), { version: 0 }),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        expect((await store.read(key))?.lease?.id).toBe(`c${winner}`);
      });

      it('grants exactly one of 50 concurrent takeovers of the same expired lease', async () => {
        const key = keyOf();
        await store.acquireLease(key, INIT, leaseOf('crashed'), { version: 0 });
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            store.acquireLease(key, INIT, leaseOf(`t${i}`), { version: 0, leaseId: 'crashed' }),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });

    describe('putToken', () => {
      it('writes the token, bumps the version and clears lease and failure for the lease holder', async () => {
        const key = keyOf();
        await store.acquireLease(key, INIT, leaseOf('a'), { version: 0 });
        await store.putFailure(key, 'a', failureOf('f1'));
        await store.acquireLease(key, INIT, leaseOf('b'), { version: 0, failureId: 'f1' });
        expect(await store.putToken(key, 'b', 0, tokenOf(1))).toBe(true);
        expect(await store.read(key)).toEqual({
          key,
          kind: INIT.kind,
          params: INIT.params,
          version: 1,
          token: tokenOf(1),
        });
      });

      it('rejects a writer whose lease id is not the current lease', async () => {
        const key = keyOf();
        await store.acquireLease(key, INIT, leaseOf('a'), { version: 0 });
        expect(await store.putToken(key, 'not-a', 0, tokenOf(1))).toBe(false);
        const item = await store.read(key);
        expect(item?.version).toBe(0);
        expect(item?.token).toBeUndefined();
      });

      it('rejects a writer whose version is stale even with the current lease id', async () => {
        const key = await withToken();
        await store.acquireLease(key, INIT, leaseOf('b'), { version: 1 });
        expect(await store.putToken(key, 'b', 0, tokenOf(2))).toBe(false);
        expect((await store.read(key))?.token).toEqual(tokenOf(1));
      });

      it('rejects a writer after its lease was released or the token already written', async () => {
        const key = keyOf();
        await store.acquireLease(key, INIT, leaseOf('a'), { version: 0 });
        await store.releaseLease(key, 'a');
        expect(await store.putToken(key, 'a', 0, tokenOf(1))).toBe(false);
        await store.acquireLease(key, INIT, leaseOf('b'), { version: 0 });
        expect(await store.putToken(key, 'b', 0, tokenOf(2))).toBe(true);
        expect(await store.putToken(key, 'b', 0, tokenOf(3))).toBe(false);
        expect(await store.putToken(key, 'b', 1, tokenOf(3))).toBe(false);
      });

      it("rejects a paused writer's late write after a takeover, and the newer token survives", async () => {
        const key = await withToken(keyOf(), 1);
        await store.acquireLease(key, INIT, leaseOf('paused'), { version: 1 });
        // The paused holder's lease expires; another instance takes over and writes.
        await store.acquireLease(key, INIT, leaseOf('fresh'), { version: 1, leaseId: 'paused' });
        expect(await store.putToken(key, 'paused', 1, tokenOf(2))).toBe(false);
        expect(await store.putToken(key, 'fresh', 1, tokenOf(3))).toBe(true);
        // The paused writer wakes up again, still believing it holds the lease at version 1.
        expect(await store.putToken(key, 'paused', 1, tokenOf(2))).toBe(false);
        const item = await store.read(key);
        expect(item?.version).toBe(2);
        expect(item?.token).toEqual(tokenOf(3));
      });

      it('drops optional token attributes the previous token had', async () => {
        const key = await withToken();
        await store.acquireLease(key, INIT, leaseOf('b'), { version: 1 });
        const plain = tokenOf(2, { refreshableUntil: undefined, readableExpiry: false });
        const { refreshableUntil: _dropped, renewalMs: _noHint, ...withoutRefresh } = plain;
        const sealedWithoutDataKey: TokenRecord = {
          ...withoutRefresh,
          envelope: { keyRef: 'local:k', iv: 'aXY=', tag: 'dGFn', ciphertext: 'Y3Q=' },
        };
        expect(await store.putToken(key, 'b', 1, sealedWithoutDataKey)).toBe(true);
        expect((await store.read(key))?.token).toEqual(sealedWithoutDataKey);
      });

      it('does not recreate a purged variant for a writer that leased it before the purge', async () => {
        const key = keyOf();
        await store.acquireLease(key, INIT, leaseOf('a'), { version: 0 });
        await store.purge(key.credentialId);
        expect(await store.putToken(key, 'a', 0, tokenOf(1))).toBe(false);
        expect(await store.read(key)).toBeUndefined();
      });
    });

    describe('putFailure', () => {
      it('records the failure and releases the lease, keeping version and token', async () => {
        const key = await withToken();
        await store.acquireLease(key, INIT, leaseOf('b'), { version: 1 });
        expect(await store.putFailure(key, 'b', failureOf('f1', 2))).toBe(true);
        const item = await store.read(key);
        expect(item?.lease).toBeUndefined();
        expect(item?.failure).toEqual(failureOf('f1', 2));
        expect(item?.version).toBe(1);
        expect(item?.token).toEqual(tokenOf(1));
      });

      it('rejects a failure from an instance that no longer holds the lease', async () => {
        const key = keyOf();
        await store.acquireLease(key, INIT, leaseOf('a'), { version: 0 });
        await store.acquireLease(key, INIT, leaseOf('b'), { version: 0, leaseId: 'a' });
        expect(await store.putFailure(key, 'a', failureOf('f1'))).toBe(false);
        const item = await store.read(key);
        expect(item?.failure).toBeUndefined();
        expect(item?.lease?.id).toBe('b');
      });

      it('keeps the streak start and unhealthy mark of a failure, and a later failure without them drops them', async () => {
        const key = keyOf();
        await store.acquireLease(key, INIT, leaseOf('a'), { version: 0 });
        const streak = { ...failureOf('f1', 9), since: T0 - 900_000, unhealthyAt: T0 };
        expect(await store.putFailure(key, 'a', streak)).toBe(true);
        expect((await store.read(key))?.failure).toEqual(streak);
        await store.acquireLease(key, INIT, leaseOf('b'), { version: 0, failureId: 'f1' });
        expect(await store.putFailure(key, 'b', failureOf('f2', 10))).toBe(true);
        expect((await store.read(key))?.failure).toEqual(failureOf('f2', 10));
      });

      it('clears the streak with the failure when a token is written', async () => {
        const key = keyOf();
        await store.acquireLease(key, INIT, leaseOf('a'), { version: 0 });
        await store.putFailure(key, 'a', { ...failureOf('f1'), since: T0, unhealthyAt: T0 });
        await store.acquireLease(key, INIT, leaseOf('b'), { version: 0, failureId: 'f1' });
        expect(await store.putToken(key, 'b', 0, tokenOf(1))).toBe(true);
        expect((await store.read(key))?.failure).toBeUndefined();
      });

      it('rejects a failure for a variant that does not exist', async () => {
        const key = keyOf();
        expect(await store.putFailure(key, 'a', failureOf('f1'))).toBe(false);
        expect(await store.read(key)).toBeUndefined();
      });
    });

    describe('releaseLease', () => {
      it('releases the lease of its holder', async () => {
        const key = keyOf();
        await store.acquireLease(key, INIT, leaseOf('a'), { version: 0 });
        await store.releaseLease(key, 'a');
        expect((await store.read(key))?.lease).toBeUndefined();
        expect(await store.acquireLease(key, INIT, leaseOf('b'), { version: 0 })).toBe(true);
      });

      it("leaves another holder's lease alone and does not throw", async () => {
        const key = keyOf();
        await store.acquireLease(key, INIT, leaseOf('a'), { version: 0 });
        await expect(store.releaseLease(key, 'b')).resolves.toBeUndefined();
        expect((await store.read(key))?.lease?.id).toBe('a');
      });

      it('does nothing for a variant that does not exist', async () => {
        const key = keyOf();
        await expect(store.releaseLease(key, 'a')).resolves.toBeUndefined();
        expect(await store.read(key)).toBeUndefined();
      });
    });

    describe('touch', () => {
      it('records lastUsedAt on an existing variant', async () => {
        const key = await withToken();
        await store.touch(key, T0 + 5_000);
        expect((await store.read(key))?.lastUsedAt).toBe(T0 + 5_000);
      });

      it('never moves lastUsedAt backwards (an instance with a slow clock)', async () => {
        const key = await withToken();
        await store.touch(key, T0 + 5_000);
        await store.touch(key, T0 + 1_000);
        expect((await store.read(key))?.lastUsedAt).toBe(T0 + 5_000);
      });

      it('does not create a variant', async () => {
        const key = keyOf();
        await expect(store.touch(key, T0)).resolves.toBeUndefined();
        expect(await store.read(key)).toBeUndefined();
      });

      it('survives a token write and changes nothing else', async () => {
        const key = await withToken();
        await store.touch(key, T0 + 5_000);
        await store.acquireLease(key, INIT, leaseOf('b'), { version: 1 });
        await store.putToken(key, 'b', 1, tokenOf(2));
        const item = await store.read(key);
        expect(item?.lastUsedAt).toBe(T0 + 5_000);
        expect(item?.version).toBe(2);
      });
    });

    describe('invalidate', () => {
      it('keeps the token when the reported fingerprint is not the current one', async () => {
        const key = await withToken();
        expect(await store.invalidate(key, tokenOf(99).fingerprint)).toBe(false);
        expect((await store.read(key))?.token).toEqual(tokenOf(1));
      });

      it('removes the token and keeps the version when the fingerprint matches', async () => {
        const key = await withToken();
        expect(await store.invalidate(key, tokenOf(1).fingerprint)).toBe(true);
        const item = await store.read(key);
        expect(item?.token).toBeUndefined();
        expect(item?.version).toBe(1);
        // Fencing stays monotonic: a taker must lease the kept version, not start over at 0.
        expect(await store.acquireLease(key, INIT, leaseOf('b'), { version: 0 })).toBe(false);
        expect(await store.acquireLease(key, INIT, leaseOf('b'), { version: 1 })).toBe(true);
      });

      it('cannot evict a newer token with a stale report', async () => {
        const key = await withToken(keyOf(), 1);
        await store.acquireLease(key, INIT, leaseOf('b'), { version: 1 });
        await store.putToken(key, 'b', 1, tokenOf(2));
        expect(await store.invalidate(key, tokenOf(1).fingerprint)).toBe(false);
        expect((await store.read(key))?.token).toEqual(tokenOf(2));
      });

      it('answers false for a variant without a token or that does not exist', async () => {
        const key = keyOf();
        expect(await store.invalidate(key, tokenOf(1).fingerprint)).toBe(false);
        await store.acquireLease(key, INIT, leaseOf('a'), { version: 0 });
        expect(await store.invalidate(key, tokenOf(1).fingerprint)).toBe(false);
      });
    });

    describe('list and purge', () => {
      it('lists every variant of a credential and nothing of another', async () => {
        const credentialId = uniqueCredentialId();
        await withToken(keyOf(credentialId, 'va'), 1);
        await store.acquireLease(keyOf(credentialId, 'vb'), INIT, leaseOf('b'), { version: 0 });
        await withToken(keyOf(uniqueCredentialId(), 'va'), 2);
        await store.recordMint(mintOf(keyOf(credentialId, 'va'), T0));
        const listed = await store.list(credentialId);
        expect(listed.map((item) => item.key.variantId).sort()).toEqual(['va', 'vb']);
        expect(listed.find((item) => item.key.variantId === 'va')?.token).toEqual(tokenOf(1));
        expect(listed.find((item) => item.key.variantId === 'vb')?.lease?.id).toBe('b');
        expect(
          listed.every((item) => item.key.credentialId === credentialId && item.kind === INIT.kind),
        ).toBe(true);
      });

      it('lists nothing for an unknown credential', async () => {
        expect(await store.list(uniqueCredentialId())).toEqual([]);
      });

      it("purges every variant of one credential, keeps other credentials' and the mint history", async () => {
        const credentialId = uniqueCredentialId();
        const other = await withToken(keyOf(uniqueCredentialId(), 'va'));
        for (const variantId of ['va', 'vb', 'vc']) await withToken(keyOf(credentialId, variantId));
        await store.recordMint(mintOf(keyOf(credentialId, 'va'), T0));
        expect(await store.purge(credentialId)).toBe(3);
        expect(await store.list(credentialId)).toEqual([]);
        expect(await store.read(keyOf(credentialId, 'va'))).toBeUndefined();
        expect((await store.read(other))?.token).toEqual(tokenOf(1));
        expect(await store.listMints(credentialId, 10)).toHaveLength(1);
        expect(await store.purge(credentialId)).toBe(0);
      });

      it('purges more variants than one delete batch holds', async () => {
        const credentialId = uniqueCredentialId();
        await Promise.all(
          Array.from({ length: 30 }, (_, i) =>
            store.acquireLease(keyOf(credentialId, `v${String(i).padStart(2, '0')}`), INIT, leaseOf('a'), {
              version: 0,
            }),
          ),
        );
        expect(await store.purge(credentialId)).toBe(30);
        expect(await store.list(credentialId)).toEqual([]);
      });

      it('starts a purged variant over from nothing', async () => {
        const key = await withToken();
        await store.purge(key.credentialId);
        expect(await store.acquireLease(key, INIT, leaseOf('b'), { version: 0 })).toBe(true);
        expect((await store.read(key))?.version).toBe(0);
      });
    });

    describe('mint history', () => {
      it('lists mint records newest first, up to the limit, for one credential only', async () => {
        const credentialId = uniqueCredentialId();
        const key = keyOf(credentialId, 'va');
        // Recorded out of order; 9_000 vs 10_000 also checks the order is numeric, not textual.
        for (const offset of [10_000, 9_000, 30_000, 20_000])
          await store.recordMint(mintOf(key, T0 + offset));
        await store.recordMint(mintOf(keyOf(uniqueCredentialId(), 'va'), T0 + 99_000));
        const all = await store.listMints(credentialId, 10);
        expect(all.map((record) => record.issuedAt)).toEqual([
          T0 + 30_000,
          T0 + 20_000,
          T0 + 10_000,
          T0 + 9_000,
        ]);
        expect(all[0]).toEqual(mintOf(key, T0 + 30_000));
        expect((await store.listMints(credentialId, 2)).map((record) => record.issuedAt)).toEqual([
          T0 + 30_000,
          T0 + 20_000,
        ]);
      });

      it('keeps records of different variants and versions issued at the same moment apart', async () => {
        const credentialId = uniqueCredentialId();
        await store.recordMint(mintOf(keyOf(credentialId, 'va'), T0, 1));
        await store.recordMint(mintOf(keyOf(credentialId, 'vb'), T0, 1));
        await store.recordMint(mintOf(keyOf(credentialId, 'va'), T0, 2));
        expect(await store.listMints(credentialId, 10)).toHaveLength(3);
      });

      it('answers an empty list for a zero limit or an unknown credential', async () => {
        const credentialId = uniqueCredentialId();
        await store.recordMint(mintOf(keyOf(credentialId), T0));
        expect(await store.listMints(credentialId, 0)).toEqual([]);
        expect(await store.listMints(uniqueCredentialId(), 5)).toEqual([]);
      });
    });

    describe('credential holds', () => {
      const holdOf = (id: string, at: number, ms: number): CredentialHold => ({
        id,
        code: 'UPSTREAM_RETRYABLE',
        at,
        ms,
      });

      it('answers undefined for a credential that was never held', async () => {
        expect(await store.readCredentialHold(uniqueCredentialId())).toBeUndefined();
      });

      it('records a hold for one credential only', async () => {
        const credentialId = uniqueCredentialId();
        expect(await store.putCredentialHold(credentialId, holdOf('h1', T0, 120_000))).toBe(true);
        expect(await store.readCredentialHold(credentialId)).toEqual(holdOf('h1', T0, 120_000));
        expect(await store.readCredentialHold(uniqueCredentialId())).toBeUndefined();
      });

      it('never lets a hold that ends earlier replace one that ends later', async () => {
        const credentialId = uniqueCredentialId();
        await store.putCredentialHold(credentialId, holdOf('long', T0, 120_000));
        expect(await store.putCredentialHold(credentialId, holdOf('short', T0 + 1_000, 5_000))).toBe(false);
        expect((await store.readCredentialHold(credentialId))?.id).toBe('long');
        expect(await store.putCredentialHold(credentialId, holdOf('later', T0 + 200_000, 5_000))).toBe(true);
        expect((await store.readCredentialHold(credentialId))?.id).toBe('later');
      });

      it('keeps the hold that ends last when 20 instances write at once', async () => {
        const credentialId = uniqueCredentialId();
        await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            store.putCredentialHold(credentialId, holdOf(`h${i}`, T0, 1_000 * ((i * 7) % 20) + 1_000)),
          ),
        );
        expect((await store.readCredentialHold(credentialId))?.id).toBe('h17');
      });

      it('is neither listed as a variant nor removed by a purge, and keeps variants apart', async () => {
        const key = await withToken();
        await store.putCredentialHold(key.credentialId, holdOf('h1', T0, 60_000));
        expect((await store.list(key.credentialId)).map((v) => v.key)).toEqual([key]);
        expect(await store.purge(key.credentialId)).toBe(1);
        expect((await store.readCredentialHold(key.credentialId))?.id).toBe('h1');
      });
    });

    describe('isolation', () => {
      it('is not changed by callers mutating what they passed in or got back', async () => {
        const key = keyOf();
        const token = structuredClone(tokenOf(1)) as { -readonly [K in keyof TokenRecord]: TokenRecord[K] };
        await store.acquireLease(key, INIT, leaseOf('a'), { version: 0 });
        await store.putToken(key, 'a', 0, token);
        token.fingerprint = 'mutated';
        const read = (await store.read(key)) as unknown as {
          token: { fingerprint: string };
          version: number;
        };
        read.token.fingerprint = 'mutated-too';
        read.version = 42;
        const again = await store.read(key);
        expect(again?.token?.fingerprint).toBe(tokenOf(1).fingerprint);
        expect(again?.version).toBe(1);
      });
    });
  });
};
