import type {
  CredentialHold,
  LeaseRecord,
  MintRecord,
  StoredVariant,
  TokenRecord,
  TokenStore,
  VariantKey,
} from '../../shared/core/token-store.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * The token store in one process's memory, with exactly the DynamoDB adapter's semantics (the same
 * contract suite runs against both): for unit tests of the core, benchmarks and several simulated
 * "instances" sharing one table. Every operation is atomic because it runs in one synchronous step
 * after an await, like a conditional write that DynamoDB evaluates in one go.
 *
 * Stored state is deep-copied in and out, so a caller mutating what it passed or got back cannot
 * change the "table" behind another instance's back.
 */
export const makeMemoryTokenStore = (): TokenStore => {
  const variants = new Map<string, Map<string, Mutable<StoredVariant>>>();
  const mints = new Map<string, MintRecord[]>();
  const holds = new Map<string, CredentialHold>();

  const variantsOf = (credentialId: string): Map<string, Mutable<StoredVariant>> => {
    let byVariant = variants.get(credentialId);
    if (byVariant === undefined) {
      byVariant = new Map();
      variants.set(credentialId, byVariant);
    }
    return byVariant;
  };
  const find = (key: VariantKey): Mutable<StoredVariant> | undefined =>
    variants.get(key.credentialId)?.get(key.variantId);

  // Yields once so callers interleave as they would around a network round trip.
  const tick = (): Promise<void> => Promise.resolve();

  return {
    async read(key) {
      await tick();
      const item = find(key);
      return item === undefined ? undefined : structuredClone(item);
    },

    async list(credentialId) {
      await tick();
      // In sort-key order, as a DynamoDB Query returns them.
      return [...(variants.get(credentialId)?.values() ?? [])]
        .sort((a, b) => (a.key.variantId < b.key.variantId ? -1 : a.key.variantId > b.key.variantId ? 1 : 0))
        .map((item) => structuredClone(item));
    },

    async acquireLease(key, init, lease: LeaseRecord, expected) {
      await tick();
      const item = find(key);
      if (item === undefined) {
        // Only a taker that saw "nothing at all" may create the item.
        if (expected.version !== 0 || expected.leaseId !== undefined || expected.failureId !== undefined)
          return false;
        variantsOf(key.credentialId).set(key.variantId, {
          key: structuredClone(key),
          kind: init.kind,
          params: structuredClone(init.params),
          version: 0,
          lease: structuredClone(lease),
        });
        return true;
      }
      if (item.version !== expected.version) return false;
      if (item.lease?.id !== expected.leaseId) return false;
      if (item.failure?.id !== expected.failureId) return false;
      // The failure stays: its count drives the next backoff if this refresh fails too.
      item.lease = structuredClone(lease);
      return true;
    },

    async putToken(key, leaseId, version, token: TokenRecord) {
      await tick();
      const item = find(key);
      // Fencing: still the lease holder, still at the leased version.
      if (item === undefined || item.lease?.id !== leaseId || item.version !== version) return false;
      item.token = structuredClone(token);
      item.version = version + 1;
      delete item.lease;
      delete item.failure;
      return true;
    },

    async putFailure(key, leaseId, failure) {
      await tick();
      const item = find(key);
      if (item === undefined || item.lease?.id !== leaseId) return false;
      item.failure = structuredClone(failure);
      delete item.lease;
      return true;
    },

    async releaseLease(key, leaseId) {
      await tick();
      const item = find(key);
      if (item !== undefined && item.lease?.id === leaseId) delete item.lease;
    },

    async touch(key, at) {
      await tick();
      const item = find(key);
      // Never creates an item and never moves lastUsedAt backwards (as the DynamoDB adapter).
      if (item !== undefined && (item.lastUsedAt === undefined || item.lastUsedAt < at)) item.lastUsedAt = at;
    },

    async invalidate(key, fingerprint) {
      await tick();
      const item = find(key);
      if (item?.token === undefined || item.token.fingerprint !== fingerprint) return false;
      // The version stays, so fencing remains monotonic.
      delete item.token;
      return true;
    },

    async purge(credentialId) {
      await tick();
      const count = variants.get(credentialId)?.size ?? 0;
      variants.delete(credentialId);
      return count;
    },

    async readCredentialHold(credentialId) {
      await tick();
      const hold = holds.get(credentialId);
      return hold === undefined ? undefined : structuredClone(hold);
    },

    async putCredentialHold(credentialId, hold) {
      await tick();
      const current = holds.get(credentialId);
      // As the DynamoDB condition: a shorter hold never shortens a longer one.
      if (current !== undefined && current.at + current.ms >= hold.at + hold.ms) return false;
      holds.set(credentialId, structuredClone(hold));
      return true;
    },

    async recordMint(record) {
      await tick();
      const records = mints.get(record.key.credentialId) ?? [];
      // Same identity as the DynamoDB sort key: a repeated record replaces, not duplicates.
      const index = records.findIndex(
        (existing) =>
          existing.issuedAt === record.issuedAt &&
          existing.key.variantId === record.key.variantId &&
          existing.version === record.version,
      );
      if (index >= 0) records.splice(index, 1);
      records.push(structuredClone(record));
      mints.set(record.key.credentialId, records);
    },

    async listMints(credentialId, limit) {
      await tick();
      if (!(limit > 0)) return [];
      return [...(mints.get(credentialId) ?? [])]
        .sort(
          (a, b) =>
            b.issuedAt - a.issuedAt ||
            (a.key.variantId < b.key.variantId ? 1 : a.key.variantId > b.key.variantId ? -1 : 0) ||
            b.version - a.version,
        )
        .slice(0, limit)
        .map((record) => structuredClone(record));
    },
  };
};
