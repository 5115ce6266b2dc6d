import { rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync, type Metafile } from 'esbuild';
import {
  bundleLambda,
  LAMBDA_ENTRY_FILE,
  type LambdaBundle,
  lambdaBuildOptions,
} from '../packages/cdk/src/bundle-lambda.ts';
import { ENV, FUNCTION_ENTRIES, METRICS_NAMESPACE, SERVICE_NAME } from '../shared/config/env-names.ts';
import { measurePackages, type PackagesResult } from './p4-packages.ts';
import { type InitSample, measureInit } from './support/measure-init.ts';
import { percentile, round } from './support/percentiles.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'bench', 'out', 'p4');
/** 300 KB read as KiB. */
const TARGET_BUNDLE_BYTES = 300 * 1024;
const TARGET_INIT_RATIO = 0.25;
const TOKEN_API_RUNS = 15;
const OTHER_RUNS = 10;
/** The construct sets no NODE_OPTIONS (source maps cost init time, see packages/cdk/src/broker-function.ts). */
const PRODUCTION_NODE_FLAGS: readonly string[] = [];
/** The alternative it rejected: stack traces through the shipped source maps. */
const SOURCE_MAP_NODE_FLAGS = ['--enable-source-maps'];

type FunctionName = keyof typeof FUNCTION_ENTRIES;

export interface BundleBytes {
  /** What a cold start loads: index.mjs plus the chunks it imports statically. */
  readonly initBytes: number;
  /** index.mjs alone. */
  readonly entryChunkBytes: number;
  /** Chunks loaded only by import(), e.g. the KMS, Secrets Manager and upstream HTTP clients. */
  readonly lazyBytes: number;
  /** Everything emitted (init + lazy): what the function can ever load. */
  readonly totalBytes: number;
  readonly chunks: number;
}

export interface FunctionFigures extends BundleBytes {
  readonly entry: string;
  /** Same as initBytes: the figure P4 holds against its target. */
  readonly bundleBytes: number;
  readonly sourceMapBytes: number;
  /** The same build with every package external: our code only, all chunks. */
  readonly unbundledBytes: number;
  readonly initMs: number;
  readonly unbundledInitMs: number;
  readonly initRatio: number;
  readonly initCpuMs: number;
  readonly unbundledInitCpuMs: number;
  readonly runs: number;
  readonly initErrors: readonly string[];
}

export interface P4Result {
  /** The token-api code a cold start loads (index.mjs + its static chunks); lazy chunks excluded. */
  readonly tokenApiBundleBytes: number;
  readonly tokenApiEntryChunkBytes: number;
  readonly tokenApiTotalBytes: number;
  readonly initMs: number;
  readonly unbundledInitMs: number;
  readonly initRatio: number;
  /** The same ratio on CPU time, which a busy machine disturbs less than wall time. */
  readonly initCpuRatio: number;
  /** The same comparison with NODE_OPTIONS=--enable-source-maps (each loaded file's map parsed). */
  readonly withSourceMaps: {
    readonly initMs: number;
    readonly unbundledInitMs: number;
    readonly initRatio: number;
  };
  /** Where the bytes token-api loads at init come from. */
  readonly tokenApiComposition: Readonly<Record<string, number>>;
  /** Where the bytes of its lazy chunks come from. */
  readonly tokenApiLazyComposition: Readonly<Record<string, number>>;
  readonly bundles: Readonly<Record<string, BundleBytes>>;
  readonly functions: Readonly<Record<string, FunctionFigures>>;
  /** The published packages as installed by a consumer: sizes and cold import (context, no target). */
  readonly packages: PackagesResult;
  readonly method: string;
  readonly target: { readonly tokenApiBundleBytes: number; readonly initRatio: number };
  readonly met: boolean;
  readonly missRatio?: number;
}

/**
 * A Lambda-like environment that lets every function finish its init with no AWS account: the
 * construct's variables with a valid config and fake table and key values (nothing is called at init).
 */
export const functionEnv = (): Record<string, string> => ({
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_NAME: 'broker-bench',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  // On Lambda's Node 24 the SDK has no Node-version notice to print; here (Node 20) it would.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  [ENV.tableName]: 'canvas-credential-broker-tokens',
  [ENV.envelopeKeyArn]: 'arn:aws:kms:us-east-1:111111111111:key/00000000-0000-4000-8000-000000000000',
  // token-api answers only its own API and stage (issue 13); jwks publishes the signing key's
  // public half. Without these their init stops at CONFIG_INVALID, and the time measured is that
  // of an init that threw (as it was from issue 13 until this was noticed).
  [ENV.apiId]: 'a1b2c3d4e5',
  [ENV.apiStage]: 'prod',
  [ENV.ltiSigningKeyArn]: 'arn:aws:kms:us-east-1:111111111111:key/11111111-2222-4333-8444-555555555555',
  [ENV.config]: JSON.stringify({
    credentials: [
      {
        id: 'dap',
        kind: 'identity-service',
        secretId: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:canvas-broker/dap-client-EXAMPL',
        baseUrl: 'https://api-gateway.instructure.com',
      },
      {
        id: 'canvas-services',
        kind: 'canvas-jwt',
        secretId: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:canvas-broker/canvas-token-EXAMPL',
        baseUrl: 'https://example.instructure.com',
        fixedParams: { workflows: ['ui'] },
        callerParams: { contextType: ['Course'], contextId: '*' },
      },
      {
        id: 'inst-access',
        kind: 'inst-access',
        secretId: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:canvas-broker/canvas-token-EXAMPL',
        baseUrl: 'https://example.instructure.com',
      },
    ],
    callers: [
      { principals: ['arn:aws:iam::222222222222:role/data-pipeline-*'], credentials: ['dap'] },
      {
        principals: ['arn:aws:iam::222222222222:role/course-tools', 'lambda-invoke'],
        credentials: ['canvas-services'],
      },
      { principals: ['arn:aws:iam::111111111111:role/platform-admin'], credentials: ['*'], admin: true },
    ],
  }),
  [ENV.canvasBaseUrl]: 'https://example.instructure.com',
  [ENV.rotationTokenExpiryDays]: '90',
  [ENV.serviceName]: SERVICE_NAME,
  [ENV.metricsNamespace]: METRICS_NAMESPACE,
  [ENV.logLevel]: 'INFO',
});

const median = (samples: readonly InitSample[], field: 'ms' | 'cpuMs' = 'ms'): number =>
  percentile(
    samples.map((s) => s[field]).sort((a, b) => a - b),
    50,
  );

interface InitComparison {
  readonly initMs: number;
  readonly unbundledInitMs: number;
  readonly initCpuMs: number;
  readonly unbundledInitCpuMs: number;
  readonly errors: string[];
}

/** Alternates bundled and unbundled cold starts, so a burst of load on the machine hits both alike. */
const compareInit = async (
  bundled: string,
  unbundled: string,
  env: Readonly<Record<string, string>>,
  flags: readonly string[],
  runs: number,
): Promise<InitComparison> => {
  // One discarded run each: the first spawn also pays for the OS file cache.
  const all = [await measureInit(bundled, env, flags), await measureInit(unbundled, env, flags)];
  const b: InitSample[] = [];
  const u: InitSample[] = [];
  for (let i = 0; i < runs; i++) {
    b.push(await measureInit(bundled, env, flags));
    u.push(await measureInit(unbundled, env, flags));
  }
  all.push(...b, ...u);
  const errors = [...new Set(all.flatMap((s) => (s.error ? [s.error] : [])))];
  if (all.some((s) => s.network > 0)) errors.push('network call during init');
  return {
    initMs: round(median(b), 2),
    unbundledInitMs: round(median(u), 2),
    initCpuMs: round(median(b, 'cpuMs'), 2),
    unbundledInitCpuMs: round(median(u, 'cpuMs'), 2),
    errors,
  };
};

/** Bytes of the minified output by package (or project folder), largest first, over the given files. */
const largestInputs = (
  metafile: Metafile,
  outdir: string,
  bundle: LambdaBundle,
  atInit: boolean,
  top = 12,
): Record<string, number> => {
  const byPackage = new Map<string, number>();
  for (const file of bundle.files) {
    if (file.atInit !== atInit) continue;
    // Metafile output paths are relative to the project root (esbuild's absWorkingDir).
    const output = metafile.outputs[relative(ROOT, join(outdir, file.path))];
    for (const [path, input] of Object.entries(output?.inputs ?? {})) {
      const pkg =
        /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.split('/').slice(0, 2).join('/');
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + input.bytesInOutput);
    }
  }
  return Object.fromEntries([...byPackage].sort((a, b) => b[1] - a[1]).slice(0, top));
};

const bundleBytes = (bundle: LambdaBundle): BundleBytes => ({
  initBytes: bundle.initBytes,
  entryChunkBytes: bundle.entryBytes,
  lazyBytes: bundle.totalBytes - bundle.initBytes,
  totalBytes: bundle.totalBytes,
  chunks: bundle.files.length - 1,
});

/**
 * P4: every function in FUNCTION_ENTRIES bundled by packages/cdk/src/bundle-lambda.ts, the very function CDK's
 * local bundling calls at synth (so there is no option list here to drift from the deployed one),
 * and beside it the same build with every package left external (`packages: 'external'`, options
 * otherwise identical, so both are minified ESM split the same way and only where the dependencies
 * load from differs). Module init is timed in fresh processes, alternating the two, median of
 * several runs; importing index.mjs loads its static chunks, never the lazy ones.
 */
export const runP4 = async (): Promise<P4Result> => {
  await rm(OUT, { recursive: true, force: true });
  const env = functionEnv();
  const functions: Record<string, FunctionFigures> = {};
  let withSourceMaps: InitComparison | undefined;
  let composition: Record<string, number> = {};
  let lazyComposition: Record<string, number> = {};
  const bundles: Record<string, BundleBytes> = {};
  for (const [name, entry] of Object.entries(FUNCTION_ENTRIES) as [FunctionName, string][]) {
    const bundledDir = join(OUT, 'bundled', name);
    const unbundledDir = join(OUT, 'unbundled', name);
    const bundle = bundleLambda({ entry, outdir: bundledDir, projectRoot: ROOT });
    if (name === 'tokenApi') {
      composition = largestInputs(bundle.metafile, bundledDir, bundle, true);
      lazyComposition = largestInputs(bundle.metafile, bundledDir, bundle, false);
    }
    const unbundled = buildSync({
      ...lambdaBuildOptions({ entry, outdir: unbundledDir, projectRoot: ROOT }),
      packages: 'external',
    });
    const unbundledBytes = Object.entries(unbundled.metafile.outputs)
      .filter(([path]) => !path.endsWith('.map'))
      .reduce((n, [, output]) => n + output.bytes, 0);

    const bundled = join(bundledDir, LAMBDA_ENTRY_FILE);
    const unbundledEntry = join(unbundledDir, LAMBDA_ENTRY_FILE);
    const runs = name === 'tokenApi' ? TOKEN_API_RUNS : OTHER_RUNS;
    const production = await compareInit(bundled, unbundledEntry, env, PRODUCTION_NODE_FLAGS, runs);
    if (name === 'tokenApi') {
      withSourceMaps = await compareInit(bundled, unbundledEntry, env, SOURCE_MAP_NODE_FLAGS, runs);
    }
    const { initMs, unbundledInitMs, initCpuMs, unbundledInitCpuMs, errors } = production;
    bundles[name] = bundleBytes(bundle);
    functions[name] = {
      entry,
      bundleBytes: bundle.initBytes,
      ...bundles[name],
      sourceMapBytes: bundle.sourceMapBytes,
      unbundledBytes,
      initMs,
      unbundledInitMs,
      initRatio: round(initMs / unbundledInitMs, 3),
      initCpuMs,
      unbundledInitCpuMs,
      runs,
      initErrors: errors,
    };
  }

  const packages = await measurePackages();
  const api = functions.tokenApi!;
  const bytesOk = api.bundleBytes <= TARGET_BUNDLE_BYTES;
  const ratioOk = api.initRatio <= TARGET_INIT_RATIO && api.initErrors.length === 0;
  const met = bytesOk && ratioOk;
  return {
    tokenApiBundleBytes: api.bundleBytes,
    tokenApiEntryChunkBytes: api.entryChunkBytes,
    tokenApiTotalBytes: api.totalBytes,
    initMs: api.initMs,
    unbundledInitMs: api.unbundledInitMs,
    initRatio: api.initRatio,
    initCpuRatio: round(api.initCpuMs / api.unbundledInitCpuMs, 3),
    withSourceMaps: {
      initMs: withSourceMaps?.initMs ?? Number.NaN,
      unbundledInitMs: withSourceMaps?.unbundledInitMs ?? Number.NaN,
      initRatio: withSourceMaps
        ? round(withSourceMaps.initMs / withSourceMaps.unbundledInitMs, 3)
        : Number.NaN,
    },
    tokenApiComposition: composition,
    tokenApiLazyComposition: lazyComposition,
    bundles,
    functions,
    packages,
    method: `bundleLambda() of packages/cdk/src/bundle-lambda.ts (what CDK deploys: ${bundleOptionsSummary}); bundle bytes = index.mjs + the chunks it imports statically (lazy chunks reported apart); unbundled = same options + packages: 'external' (dependencies load from node_modules); init = median time of one dynamic import() of index.mjs in a fresh \`node\` process (no flags, as deployed) with a Lambda-like env, network guarded`,
    target: { tokenApiBundleBytes: TARGET_BUNDLE_BYTES, initRatio: TARGET_INIT_RATIO },
    met,
    ...(met
      ? {}
      : {
          missRatio: round(
            Math.max(api.bundleBytes / TARGET_BUNDLE_BYTES, api.initRatio / TARGET_INIT_RATIO),
            2,
          ),
        }),
  };
};

const bundleOptionsSummary =
  'esbuild --bundle --platform=node --target=node24 --format=esm --splitting --minify --sourcemap=linked --sources-content=false --main-fields=module,main --banner:js=<createRequire> --alias:@aws-sdk/credential-provider-node=<env-only provider>, no externals';
