import type { TokenStore } from '../../shared/core/token-store.ts';

/** Sees every call's promise as the caller gets it; returns it (or one that settles the same way). */
export type Track = <T>(promise: Promise<T>) => Promise<T>;

/** A token store whose every call goes through `track`, e.g. to know what is still in flight. */
export const trackStore = (inner: TokenStore, track: Track): TokenStore => ({
  read: (key) => track(inner.read(key)),
  list: (credentialId) => track(inner.list(credentialId)),
  acquireLease: (key, init, lease, expected) => track(inner.acquireLease(key, init, lease, expected)),
  putToken: (key, leaseId, version, token) => track(inner.putToken(key, leaseId, version, token)),
  putFailure: (key, leaseId, failure) => track(inner.putFailure(key, leaseId, failure)),
  releaseLease: (key, leaseId) => track(inner.releaseLease(key, leaseId)),
  touch: (key, at) => track(inner.touch(key, at)),
  invalidate: (key, fingerprint) => track(inner.invalidate(key, fingerprint)),
  purge: (credentialId) => track(inner.purge(credentialId)),
  readCredentialHold: (credentialId) => track(inner.readCredentialHold(credentialId)),
  putCredentialHold: (credentialId, hold) => track(inner.putCredentialHold(credentialId, hold)),
  recordMint: (record) => track(inner.recordMint(record)),
  listMints: (credentialId, limit) => track(inner.listMints(credentialId, limit)),
});
