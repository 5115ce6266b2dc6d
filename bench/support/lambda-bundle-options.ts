import { readFile } from 'node:fs/promises';
import type { BuildOptions } from 'esbuild';

/**
 * What infra/broker-function.ts asks NodejsFunction for, as the esbuild options CDK derives from it
 * (aws-lambda-nodejs bundling.js `buildEsbuildArgs` with local bundling): `--bundle`, target from
 * the runtime (NODEJS_24_X → node24), platform node, ESM to index.mjs, minify, an external source
 * map without sources content, the createRequire banner, main fields module,main, and no externals
 * (externalModules: [] bundles the AWS SDK).
 */
export const LAMBDA_RUNTIME_MAJOR = 24;
export const CREATE_REQUIRE_BANNER =
  "import { createRequire as __brokerCreateRequire } from 'node:module'; const require = __brokerCreateRequire(import.meta.url);";

export const lambdaBundleOptions = (entry: string, outfile: string, projectRoot: string): BuildOptions => ({
  absWorkingDir: projectRoot,
  entryPoints: [entry],
  bundle: true,
  target: `node${LAMBDA_RUNTIME_MAJOR}`,
  platform: 'node',
  format: 'esm',
  outfile,
  minify: true,
  sourcemap: true,
  sourcesContent: false,
  external: [],
  logLevel: 'warning',
  banner: { js: CREATE_REQUIRE_BANNER },
  mainFields: ['module', 'main'],
});

/**
 * Differences between the options above and what infra/broker-function.ts says today, so a change
 * there shows up in the benchmark output instead of silently measuring something else.
 */
export const bundleOptionDrift = async (brokerFunctionPath: string): Promise<string[]> => {
  const source = await readFile(brokerFunctionPath, 'utf8');
  const drift: string[] = [];
  const runtime = /runtime:\s*Runtime\.NODEJS_(\d+)_X/.exec(source)?.[1];
  if (runtime !== String(LAMBDA_RUNTIME_MAJOR)) drift.push(`runtime is NODEJS_${runtime ?? '?'}_X`);
  if (!source.includes(CREATE_REQUIRE_BANNER)) drift.push('banner differs');
  const expect = [
    'format: OutputFormat.ESM',
    'minify: true',
    'sourceMap: true',
    'sourcesContent: false',
    'externalModules: []',
    "mainFields: ['module', 'main']",
    'forceDockerBundling: false',
  ];
  for (const fragment of expect) if (!source.includes(fragment)) drift.push(`missing "${fragment}"`);
  if (/\b(define|loader|keepNames|tsconfig|esbuildArgs|inject|footer|nodeModules)\s*:/.test(source)) {
    drift.push('extra bundling options present');
  }
  return drift;
};
