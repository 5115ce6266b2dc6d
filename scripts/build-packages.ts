import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import { bundleLambda } from '../packages/cdk/src/bundle-lambda.ts';
import { FUNCTION_ENTRIES } from '../shared/config/env-names.ts';

/**
 * Builds the published packages from the repository's sources (each package's `prepack` runs it):
 * `node --import tsx scripts/build-packages.ts <cdk|client>...`.
 *
 * Both packages are esbuild bundles of the same source the repository tests (ESM `.mjs` and CommonJS
 * `.cjs`, so `import` and `require` both work), with `.d.ts` emitted by tsc from that source. Every
 * bare import left in a bundle must be one of the package's declared dependencies: the build fails
 * otherwise, which keeps the client free of the CDK, Powertools and the runtime's AWS clients. The
 * construct package also carries the four Lambda bundles, built by packages/cdk/src/bundle-lambda.ts exactly as
 * a synth in this repository builds them, so a consumer's synth needs no esbuild, tsx or Docker.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Node major the packages promise in `engines` (the consumer's machine, not Lambda's runtime). */
const PACKAGE_NODE_TARGET = 'node20';

interface PackageSpec {
  /** Folder under packages/. */
  readonly dir: string;
  /** Library entry, relative to the repository root. */
  readonly entry: string;
  /** Bare imports the bundles may keep: the package's dependencies and peer dependencies. */
  readonly externals: readonly string[];
  readonly plugins?: readonly Plugin[];
  /** Extra build steps (bin, Lambda bundles). */
  readonly extra?: (dist: string) => Promise<void>;
}

/** The construct package must not pull esbuild in: its functions come prebuilt (see no-local-bundling.ts). */
const noLocalBundling: Plugin = {
  name: 'no-local-bundling',
  setup(b) {
    b.onResolve({ filter: /\/bundle-lambda\.ts$/ }, () => ({
      path: join(ROOT, 'packages/cdk/src/no-local-bundling.ts'),
    }));
  },
};

const SPECS: Readonly<Record<string, PackageSpec>> = {
  cdk: {
    dir: 'cdk',
    entry: 'packages/cdk/src/index.ts',
    externals: ['aws-cdk-lib', 'constructs', 'valibot'],
    plugins: [noLocalBundling],
    extra: async (dist) => {
      // The published JSON Schema of config.json, generated from the config schema (npm run docs:config).
      copyFileSync(join(ROOT, 'docs/config.schema.json'), join(dist, '..', 'config.schema.json'));
      for (const entry of Object.values(FUNCTION_ENTRIES)) {
        const name = entry.replace(/^functions\//, '').replace(/\.ts$/, '');
        bundleLambda({ entry, outdir: join(dist, 'lambda-bundles', name), projectRoot: ROOT });
      }
    },
  },
  client: {
    dir: 'client',
    entry: 'packages/client/src/index.ts',
    externals: ['@smithy/signature-v4', '@smithy/hash-node', '@aws-sdk/credential-provider-node'],
    extra: async (dist) => {
      await bundle(SPECS.client!, 'packages/client/src/cli.ts', join(dist, 'cli.mjs'), 'esm', {
        banner: { js: '#!/usr/bin/env node' },
      });
    },
  },
};

const packageName = (specifier: string): string =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;

/** Bundles one entry; fails on a bare import that is not a declared dependency or a Node built-in. */
const bundle = async (
  spec: PackageSpec,
  entry: string,
  outfile: string,
  format: 'esm' | 'cjs',
  more: Partial<BuildOptions> = {},
): Promise<void> => {
  const cjs = format === 'cjs';
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: PACKAGE_NODE_TARGET,
    format,
    // Readable output: consumers step through it in a debugger, and size is not a Lambda cold start.
    minify: false,
    packages: 'external',
    plugins: [...(spec.plugins ?? [])],
    // CommonJS has no import.meta; the construct finds its prebuilt bundles beside its own file.
    ...(cjs
      ? {
          define: { 'import.meta.url': '__brokerModuleUrl' },
          banner: { js: "const __brokerModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
        }
      : {}),
    metafile: true,
    logLevel: 'warning',
    ...more,
  });
  if (!result.metafile) throw new Error(`${entry}: esbuild returned no metafile`);
  const bare = new Set<string>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const imported of output.imports) {
      if (imported.external && !imported.path.startsWith('node:')) bare.add(packageName(imported.path));
    }
  }
  const undeclared = [...bare].filter((name) => !spec.externals.includes(name));
  if (undeclared.length > 0) {
    throw new Error(`${entry} (${format}) imports undeclared packages: ${undeclared.join(', ')}`);
  }
};

/** Relative specifiers of a declaration file (`from './x.ts'`, `import('./x.ts')`). */
const RELATIVE_SPECIFIER = /(from\s+|import\()(['"])(\.{1,2}\/[^'"]+?)\.ts\2/g;

/** Emits the declarations of both packages with one tsc run (packages/tsconfig.build.json) into `out`. */
const emitDeclarations = (out: string): void => {
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(ROOT, 'packages/tsconfig.build.json'),
      '--outDir',
      out,
    ],
    { stdio: 'inherit' },
  );
};

/**
 * Copies the declarations reachable from the package's entry into dist/types, with `.ts` specifiers
 * rewritten to `.js` so any consumer's TypeScript resolves them to the `.d.ts`.
 */
const copyDeclarations = (spec: PackageSpec, out: string, dist: string): void => {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(join(out, file), 'utf8');
    for (const match of text.matchAll(RELATIVE_SPECIFIER)) {
      visit(join(dirname(file), `${match[3]}.d.ts`));
    }
    const target = join(dist, 'types', file);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text.replace(RELATIVE_SPECIFIER, '$1$2$3.js$2'));
  };
  visit(spec.entry.replace(/\.ts$/, '.d.ts'));
};

const buildPackage = async (spec: PackageSpec, declarationsDir: string): Promise<void> => {
  const pkgDir = join(ROOT, 'packages', spec.dir);
  const dist = join(pkgDir, 'dist');
  rmSync(dist, { recursive: true, force: true });
  await bundle(spec, spec.entry, join(dist, 'index.mjs'), 'esm');
  await bundle(spec, spec.entry, join(dist, 'index.cjs'), 'cjs');
  await spec.extra?.(dist);
  copyDeclarations(spec, declarationsDir, dist);
  // npm packs a LICENSE found beside package.json; the one text lives at the repository root.
  copyFileSync(join(ROOT, 'LICENSE'), join(pkgDir, 'LICENSE'));
  const types = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).types as string;
  if (!existsSync(resolve(pkgDir, types)))
    throw new Error(`${spec.dir}: package.json types ${types} missing`);
  console.error(`built packages/${spec.dir} -> ${relative(ROOT, dist)}`);
};

const names = process.argv.slice(2);
if (names.length === 0 || names.some((n) => !(n in SPECS))) {
  console.error(`usage: build-packages.ts <${Object.keys(SPECS).join('|')}>...`);
  process.exit(2);
}
const declarationsDir = mkdtempSync(join(tmpdir(), 'broker-dts-'));
try {
  emitDeclarations(declarationsDir);
  for (const name of names) await buildPackage(SPECS[name]!, declarationsDir);
} finally {
  rmSync(declarationsDir, { recursive: true, force: true });
}
