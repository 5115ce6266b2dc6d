import { SecretNotFoundError } from '../../shared/core/errors.ts';
import type { SecretSource, SecretValue } from '../../shared/core/secret-source.ts';

export interface FakeSecrets extends SecretSource {
  set(secretId: string, fields: Record<string, string>): void;
  readonly reads: { cached: number; forced: number };
}

/**
 * A secret source with a deliberately sticky cache: a plain read returns the value cached at the
 * last forced read (as a real per-instance cache would), so tests can rotate a secret "behind" it.
 */
export const makeFakeSecrets = (initial: Record<string, Record<string, string>> = {}): FakeSecrets => {
  const current = new Map<string, SecretValue>();
  const cached = new Map<string, SecretValue>();
  let version = 0;
  const secrets: FakeSecrets = {
    reads: { cached: 0, forced: 0 },
    set: (secretId, fields) => {
      current.set(secretId, { versionId: `v${++version}`, fields });
    },
    get: async (secretId, options) => {
      options?.forceRefresh ? secrets.reads.forced++ : secrets.reads.cached++;
      if (options?.forceRefresh || !cached.has(secretId)) {
        const value = current.get(secretId);
        if (!value) throw new SecretNotFoundError(`secret ${secretId} not found`);
        cached.set(secretId, value);
      }
      return cached.get(secretId)!;
    },
  };
  for (const [id, fields] of Object.entries(initial)) secrets.set(id, fields);
  return secrets;
};
