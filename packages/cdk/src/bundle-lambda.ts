import { join, relative } from 'node:path';
import { type BuildOptions, buildSync, type Metafile } from 'esbuild';
import { LAMBDA_BUNDLE_ALIASES } from '../../../shared/config/lambda-bundle.ts';

/** Node major of the Lambda runtime (Runtime.NODEJS_24_X in broker-function.ts): esbuild's target. */
export const LAMBDA_NODE_MAJOR = 24;

// The bundle is ESM; a few dependencies still call require() for Node built-ins, which ESM lacks.
// Aliased import: a bundled module importing `createRequire` itself must not collide with it.
export const CREATE_REQUIRE_BANNER =
  "import { createRequire as __brokerCreateRequire } from 'node:module'; const require = __brokerCreateRequire(import.meta.url);";

/** The file Lambda loads: `index.handler` resolves to it. */
export const LAMBDA_ENTRY_FILE = 'index.mjs';

export interface BundleLambdaOptions {
  /** Entry file relative to projectRoot (a FUNCTION_ENTRIES value). */
  readonly entry: string;
  /** Where index.mjs, its source map and chunks/ are written (created if missing). */
  readonly outdir: string;
  /** Absolute path of the repository root: entries and LAMBDA_BUNDLE_ALIASES are relative to it. */
  readonly projectRoot: string;
}

export interface LambdaBundleFile {
  /** Relative to outdir, e.g. `index.mjs` or `chunks/kms-client-AB12CD34.mjs`. */
  readonly path: string;
  readonly bytes: number;
  /** index.mjs or a chunk it imports statically: evaluated at every cold start. */
  readonly atInit: boolean;
}

export interface LambdaBundle {
  /** index.mjs alone. */
  readonly entryBytes: number;
  /**
   * What Lambda loads at init: index.mjs plus every chunk it imports statically (code shared with a
   * lazy chunk is split out of index.mjs but still loads at init, so entryBytes alone would flatter).
   */
  readonly initBytes: number;
  /** All JavaScript emitted, lazy chunks included: what the function can ever load. */
  readonly totalBytes: number;
  readonly sourceMapBytes: number;
  /** JavaScript files only, index.mjs first. */
  readonly files: readonly LambdaBundleFile[];
  readonly metafile: Metafile;
}

/**
 * The esbuild options of a broker function, exported so the benchmark can build the unbundled
 * comparison from the same list (with `packages: 'external'`) instead of a copy that drifts.
 */
export const lambdaBuildOptions = ({
  entry,
  outdir,
  projectRoot,
}: BundleLambdaOptions): BuildOptions & { readonly metafile: true } => ({
  absWorkingDir: projectRoot,
  entryPoints: [entry],
  bundle: true,
  platform: 'node',
  target: `node${LAMBDA_NODE_MAJOR}`,
  format: 'esm',
  // Code splitting is the reason this is not NodejsFunction (whose --outfile forbids it): the KMS,
  // Secrets Manager and upstream HTTP clients, loaded with import() only to decrypt or refresh a
  // token, become chunks that a cold start whose memory or table tier answers never evaluates.
  splitting: true,
  outdir,
  entryNames: 'index',
  chunkNames: 'chunks/[name]-[hash]',
  outExtension: { '.js': '.mjs' },
  minify: true,
  // Linked (a sourceMappingURL comment in each file) so that NODE_OPTIONS=--enable-source-maps, off
  // by default for its init cost (broker-function.ts), finds the maps when set; no sources content
  // keeps them small.
  sourcemap: 'linked',
  sourcesContent: false,
  banner: { js: CREATE_REQUIRE_BANNER },
  mainFields: ['module', 'main'],
  // No externals: the AWS SDK clients are bundled (the runtime's copy loads slower and drifts).
  external: [],
  alias: { ...LAMBDA_BUNDLE_ALIASES },
  metafile: true,
  logLevel: 'warning',
});

/** Output paths in the metafile are relative to absWorkingDir; returns them relative to outdir. */
const outputsOf = (metafile: Metafile, options: BundleLambdaOptions) => {
  const byOutdirPath = new Map<string, Metafile['outputs'][string]>();
  for (const [path, output] of Object.entries(metafile.outputs)) {
    byOutdirPath.set(relative(options.outdir, join(options.projectRoot, path)), output);
  }
  return byOutdirPath;
};

/** index.mjs and every chunk reachable from it by static imports. */
const staticClosure = (outputs: Map<string, Metafile['outputs'][string]>, options: BundleLambdaOptions) => {
  const seen = new Set<string>();
  const visit = (path: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const imported of outputs.get(path)?.imports ?? []) {
      if (imported.kind !== 'import-statement' || imported.external) continue;
      visit(relative(options.outdir, join(options.projectRoot, imported.path)));
    }
  };
  visit(LAMBDA_ENTRY_FILE);
  return seen;
};

/**
 * Bundles one broker function into `outdir` with esbuild, synchronously so CDK's local bundling
 * (`tryBundle`) can call it: index.mjs (the handler module), chunks/ (lazily imported code) and
 * their source maps. The CDK construct and the benchmark both call this, so P4 measures exactly
 * what is deployed.
 */
export const bundleLambda = (options: BundleLambdaOptions): LambdaBundle => {
  const result = buildSync(lambdaBuildOptions(options));
  const outputs = outputsOf(result.metafile, options);
  const initial = staticClosure(outputs, options);
  const files: LambdaBundleFile[] = [];
  let sourceMapBytes = 0;
  for (const [path, output] of outputs) {
    if (path.endsWith('.map')) sourceMapBytes += output.bytes;
    else files.push({ path, bytes: output.bytes, atInit: initial.has(path) });
  }
  files.sort((a, b) =>
    a.path === LAMBDA_ENTRY_FILE ? -1 : b.path === LAMBDA_ENTRY_FILE ? 1 : b.bytes - a.bytes,
  );
  const entry = files.find((f) => f.path === LAMBDA_ENTRY_FILE);
  if (!entry) throw new Error(`bundleLambda: ${options.entry} produced no ${LAMBDA_ENTRY_FILE}`);
  const sum = (list: readonly LambdaBundleFile[]) => list.reduce((n, f) => n + f.bytes, 0);
  return {
    entryBytes: entry.bytes,
    initBytes: sum(files.filter((f) => f.atInit)),
    totalBytes: sum(files),
    sourceMapBytes,
    files,
    metafile: result.metafile,
  };
};
