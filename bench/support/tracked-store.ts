import type { TokenStore } from '../../shared/core/token-store.ts';

/** Runs one store call (`call` starts it) and answers what the caller gets. */
export type Around = <T>(call: () => Promise<T>) => Promise<T>;

/** Sees every call's promise as the caller gets it; returns it (or one that settles the same way). */
export type Track = <T>(promise: Promise<T>) => Promise<T>;

/** A token store whose every call goes through `around`, e.g. to delay it or time it. */
export const wrapStoreCalls = (inner: TokenStore, around: Around): TokenStore => ({
  read: (key) => around(() => inner.read(key)),
  list: (credentialId) => around(() => inner.list(credentialId)),
  acquireLease: (key, init, lease, expected) => around(() => inner.acquireLease(key, init, lease, expected)),
  putToken: (key, leaseId, version, token) => around(() => inner.putToken(key, leaseId, version, token)),
  putFailure: (key, leaseId, failure) => around(() => inner.putFailure(key, leaseId, failure)),
  releaseLease: (key, leaseId) => around(() => inner.releaseLease(key, leaseId)),
  touch: (key, at) => around(() => inner.touch(key, at)),
  invalidate: (key, fingerprint) => around(() => inner.invalidate(key, fingerprint)),
  purge: (credentialId) => around(() => inner.purge(credentialId)),
  readCredentialHold: (credentialId) => around(() => inner.readCredentialHold(credentialId)),
  putCredentialHold: (credentialId, hold) => around(() => inner.putCredentialHold(credentialId, hold)),
  recordMint: (record) => around(() => inner.recordMint(record)),
  listMints: (credentialId, limit) => around(() => inner.listMints(credentialId, limit)),
});

/** A token store whose every call goes through `track`, e.g. to know what is still in flight. */
export const trackStore = (inner: TokenStore, track: Track): TokenStore =>
  wrapStoreCalls(inner, (call) => track(call()));
