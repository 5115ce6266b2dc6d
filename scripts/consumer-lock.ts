import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

interface LockEntry {
  readonly version?: string;
  readonly link?: boolean;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly optionalDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly peerDependenciesMeta?: Readonly<Record<string, { readonly optional?: boolean }>>;
  readonly [field: string]: unknown;
}

export interface PackedPackage {
  /** package.json of the packed package. */
  readonly manifest: Readonly<Record<string, unknown>> & { readonly name: string; readonly version: string };
  /** Path of the tarball relative to the consumer's folder, e.g. `../packs/x-0.2.0.tgz`. */
  readonly relativeTarball: string;
  readonly tarballPath: string;
}

/** Flags that describe the repository's own tree (a dev dependency there is a runtime one here). */
const TREE_FLAGS = ['dev', 'devOptional', 'peer', 'extraneous', 'optional'] as const;

/**
 * A package-lock.json for a consumer folder that depends on the packed tarballs plus `thirdParty`
 * (exact versions already in the repository's lock), built from the repository's lock: the same
 * resolved versions, URLs and integrity hashes, so `npm ci --offline` installs everything from the
 * npm cache that the repository's own `npm ci` filled. Without a lock, npm would need the registry's
 * package documents, which that cache does not hold.
 */
export const consumerLock = (
  repoLockPath: string,
  name: string,
  packed: readonly PackedPackage[],
  thirdParty: readonly string[],
): { readonly lock: unknown; readonly dependencies: Record<string, string> } => {
  const repo = JSON.parse(readFileSync(repoLockPath, 'utf8')) as {
    packages: Readonly<Record<string, LockEntry>>;
  };
  const entries = repo.packages;
  const out: Record<string, unknown> = {};

  // Node's resolution over the lock's folder layout: the nearest node_modules/<dep> going up.
  const resolveFrom = (from: string, dep: string): string | undefined => {
    let base = from;
    for (;;) {
      const candidate = base === '' ? `node_modules/${dep}` : `${base}/node_modules/${dep}`;
      const entry = entries[candidate];
      if (entry !== undefined && !entry.link) return candidate;
      if (base === '') return undefined;
      const cut = base.lastIndexOf('/node_modules/');
      base = cut < 0 ? '' : base.slice(0, cut);
    }
  };

  const visitDeps = (path: string, entry: LockEntry): void => {
    const optional = new Set([
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...Object.entries(entry.peerDependenciesMeta ?? {})
        .filter(([, meta]) => meta.optional)
        .map(([dep]) => dep),
    ]);
    const deps = {
      ...entry.peerDependencies,
      ...entry.optionalDependencies,
      ...entry.dependencies,
    };
    for (const dep of Object.keys(deps)) {
      const resolved = resolveFrom(path, dep);
      if (resolved !== undefined) visit(resolved);
      else if (!optional.has(dep))
        throw new Error(`consumerLock: ${path} needs ${dep}, absent from the lock`);
    }
  };

  const visit = (path: string): void => {
    if (path in out) return;
    const entry = { ...entries[path]! };
    for (const flag of TREE_FLAGS) delete (entry as Record<string, unknown>)[flag];
    out[path] = entry;
    visitDeps(path, entry);
  };

  const dependencies: Record<string, string> = {};
  for (const dep of thirdParty) {
    const path = resolveFrom('', dep);
    const version = path === undefined ? undefined : entries[path]!.version;
    if (path === undefined || version === undefined)
      throw new Error(`consumerLock: ${dep} is not in the lock`);
    dependencies[dep] = version;
    visit(path);
  }
  for (const pkg of packed) {
    const { manifest } = pkg;
    const path = `node_modules/${manifest.name}`;
    const integrity = `sha512-${createHash('sha512').update(readFileSync(pkg.tarballPath)).digest('base64')}`;
    const entry: LockEntry = {
      version: manifest.version,
      resolved: `file:${pkg.relativeTarball}`,
      integrity,
      license: manifest.license,
      ...(manifest.dependencies ? { dependencies: manifest.dependencies as Record<string, string> } : {}),
      ...(manifest.peerDependencies
        ? { peerDependencies: manifest.peerDependencies as Record<string, string> }
        : {}),
      ...(manifest.bin ? { bin: manifest.bin } : {}),
      ...(manifest.engines ? { engines: manifest.engines } : {}),
    };
    out[path] = entry;
    dependencies[manifest.name] = `file:${pkg.relativeTarball}`;
    visitDeps(path, entry);
  }
  const sorted = Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
  return {
    dependencies,
    lock: {
      name,
      lockfileVersion: 3,
      requires: true,
      packages: { '': { name, dependencies }, ...sorted },
    },
  };
};
