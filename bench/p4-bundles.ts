import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { ENV, FUNCTION_ENTRIES, METRICS_NAMESPACE, SERVICE_NAME } from '../shared/config/env-names.ts';
import { bundleOptionDrift, lambdaBundleOptions } from './support/lambda-bundle-options.ts';
import { type InitSample, measureInit } from './support/measure-init.ts';
import { percentile, round } from './support/percentiles.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'bench', 'out', 'p4');
/** 300 KB read as KiB. */
const TARGET_BUNDLE_BYTES = 300 * 1024;
const TARGET_INIT_RATIO = 0.25;
const TOKEN_API_RUNS = 15;
const OTHER_RUNS = 10;
/** As the construct sets NODE_OPTIONS on every function. */
const PRODUCTION_NODE_FLAGS = ['--enable-source-maps'];

type FunctionName = keyof typeof FUNCTION_ENTRIES;

export interface FunctionFigures {
  readonly entry: string;
  readonly bundleBytes: number;
  readonly sourceMapBytes: number;
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
  readonly tokenApiBundleBytes: number;
  readonly initMs: number;
  readonly unbundledInitMs: number;
  readonly initRatio: number;
  /** The same ratio on CPU time, which a busy machine disturbs less than wall time. */
  readonly initCpuRatio: number;
  /** The same comparison without --enable-source-maps (no source map parsed at load). */
  readonly withoutSourceMaps: {
    readonly initMs: number;
    readonly unbundledInitMs: number;
    readonly initRatio: number;
  };
  /** Where the token-api bundle's bytes come from. */
  readonly tokenApiComposition: Readonly<Record<string, number>>;
  readonly bundles: Readonly<Record<string, number>>;
  readonly functions: Readonly<Record<string, FunctionFigures>>;
  readonly method: string;
  readonly infraDrift: readonly string[];
  readonly target: { readonly tokenApiBundleBytes: number; readonly initRatio: number };
  readonly met: boolean;
  readonly missRatio?: number;
}

/**
 * A Lambda-like environment that lets every function finish its init with no AWS account: the
 * construct's variables with a valid config and fake table and key values (nothing is called at init).
 */
const functionEnv = (): Record<string, string> => ({
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_LAMBDA_FUNCTION_NAME: 'broker-bench',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  // On Lambda's Node 24 the SDK has no Node-version notice to print; here (Node 20) it would.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  [ENV.tableName]: 'canvas-credential-broker-tokens',
  [ENV.envelopeKeyArn]: 'arn:aws:kms:us-east-1:111111111111:key/00000000-0000-4000-8000-000000000000',
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

const size = async (path: string): Promise<number> => (await stat(path)).size;

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

/** Bytes of the minified output by package (or project folder), largest first. */
const largestInputs = (metafile: Metafile, outfile: string, top = 12): Record<string, number> => {
  const output = Object.entries(metafile.outputs).find(([path]) => outfile.endsWith(path))?.[1];
  const byPackage = new Map<string, number>();
  for (const [path, input] of Object.entries(output?.inputs ?? {})) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.split('/').slice(0, 2).join('/');
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + input.bytesInOutput);
  }
  return Object.fromEntries([...byPackage].sort((a, b) => b[1] - a[1]).slice(0, top));
};

/**
 * P4: every function in FUNCTION_ENTRIES bundled exactly as the CDK construct bundles it, and beside
 * it the same code with every package left external (esbuild with `packages: 'external'`, same
 * options otherwise, so both are plain minified JS and only where the dependencies load from
 * differs). Module init is timed in fresh processes, alternating the two, median of several runs.
 */
export const runP4 = async (): Promise<P4Result> => {
  await rm(OUT, { recursive: true, force: true });
  const env = functionEnv();
  const functions: Record<string, FunctionFigures> = {};
  let withoutSourceMaps: InitComparison | undefined;
  let composition: Record<string, number> = {};
  const bundles: Record<string, number> = {};
  for (const [name, entry] of Object.entries(FUNCTION_ENTRIES) as [FunctionName, string][]) {
    const bundled = join(OUT, 'bundled', name, 'index.mjs');
    const unbundled = join(OUT, 'unbundled', name, 'index.mjs');
    await mkdir(join(OUT, 'bundled', name), { recursive: true });
    await mkdir(join(OUT, 'unbundled', name), { recursive: true });
    // The metafile only reports what went in; the bundle itself is unchanged.
    const result = await build({ ...lambdaBundleOptions(entry, bundled, ROOT), metafile: true });
    if (name === 'tokenApi') composition = largestInputs(result.metafile, bundled);
    await build({ ...lambdaBundleOptions(entry, unbundled, ROOT), packages: 'external' });

    const runs = name === 'tokenApi' ? TOKEN_API_RUNS : OTHER_RUNS;
    const production = await compareInit(bundled, unbundled, env, PRODUCTION_NODE_FLAGS, runs);
    if (name === 'tokenApi') withoutSourceMaps = await compareInit(bundled, unbundled, env, [], runs);
    const { initMs, unbundledInitMs, initCpuMs, unbundledInitCpuMs, errors } = production;
    bundles[name] = await size(bundled);
    functions[name] = {
      entry,
      bundleBytes: bundles[name],
      sourceMapBytes: await size(`${bundled}.map`),
      unbundledBytes: await size(unbundled),
      initMs,
      unbundledInitMs,
      initRatio: round(initMs / unbundledInitMs, 3),
      initCpuMs,
      unbundledInitCpuMs,
      runs,
      initErrors: errors,
    };
  }

  const api = functions.tokenApi!;
  const bytesOk = api.bundleBytes <= TARGET_BUNDLE_BYTES;
  const ratioOk = api.initRatio <= TARGET_INIT_RATIO && api.initErrors.length === 0;
  const met = bytesOk && ratioOk;
  return {
    tokenApiBundleBytes: api.bundleBytes,
    initMs: api.initMs,
    unbundledInitMs: api.unbundledInitMs,
    initRatio: api.initRatio,
    initCpuRatio: round(api.initCpuMs / api.unbundledInitCpuMs, 3),
    withoutSourceMaps: {
      initMs: withoutSourceMaps?.initMs ?? Number.NaN,
      unbundledInitMs: withoutSourceMaps?.unbundledInitMs ?? Number.NaN,
      initRatio: withoutSourceMaps
        ? round(withoutSourceMaps.initMs / withoutSourceMaps.unbundledInitMs, 3)
        : Number.NaN,
    },
    tokenApiComposition: composition,
    bundles,
    functions,
    method: `esbuild ${lambdaBundleOptionsSummary}; unbundled = same options + packages: 'external' (dependencies load from node_modules); init = median time of one dynamic import() in a fresh \`node ${PRODUCTION_NODE_FLAGS.join(' ')}\` process with a Lambda-like env, network guarded`,
    infraDrift: await bundleOptionDrift(join(ROOT, 'infra', 'broker-function.ts')),
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

const lambdaBundleOptionsSummary =
  '--bundle --platform=node --target=node24 --format=esm --minify --sourcemap --sources-content=false --main-fields=module,main --banner:js=<createRequire> (no externals)';
