import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { consumerLock, type PackedPackage } from '../scripts/consumer-lock.ts';
import { type InitSample, measureInit } from './support/measure-init.ts';
import { percentile, round } from './support/percentiles.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);
const IMPORT_RUNS = 10;
/** A folder that is a package: node_modules/<name> or node_modules/@scope/<name>. */
const PACKAGE_DIR = /node_modules\/(@[^/]+\/)?[^/@][^/]*$/;

export interface PackageFigures {
  readonly name: string;
  /** The .tgz npm publishes. */
  readonly packedBytes: number;
  /** The package's own files once installed. */
  readonly unpackedBytes: number;
  /** Everything `npm install <package>` puts in node_modules: the package and its dependencies (peers included). */
  readonly installedBytes: number;
  readonly installedPackages: number;
  /** Median time of one `import()` of the package's ESM entry in a fresh `node` process. */
  readonly coldImportMs: number;
  readonly coldImportCpuMs: number;
  readonly importErrors: readonly string[];
}

export interface PackagesResult {
  readonly client: PackageFigures;
  readonly cdk: PackageFigures;
  readonly method: string;
}

interface PackResult {
  readonly name: string;
  readonly filename: string;
  readonly size: number;
  readonly unpackedSize: number;
}

const bytesUnder = (dir: string): { bytes: number; packages: number } => {
  let bytes = 0;
  let packages = 0;
  const walk = (path: string): void => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) {
        bytes += statSync(full).size;
        if (entry.name === 'package.json' && PACKAGE_DIR.test(path)) packages++;
      }
    }
  };
  walk(dir);
  return { bytes, packages };
};

const median = (samples: readonly InitSample[], field: 'ms' | 'cpuMs'): number =>
  round(
    percentile(
      samples.map((s) => s[field]).sort((a, b) => a - b),
      50,
    ),
    1,
  );

/**
 * The published packages as a consumer gets them: each tarball installed alone (with its
 * dependencies and, for the construct, its peers aws-cdk-lib and constructs) into a folder outside
 * the repository, from the npm cache; installed bytes counted on disk, and the cold import timed
 * the way P4 times a Lambda's init.
 */
export const measurePackages = async (): Promise<PackagesResult> => {
  const work = mkdtempSync(join(tmpdir(), 'broker-bench-packages-'));
  try {
    const packDir = join(work, 'packs');
    mkdirSync(packDir);
    await run(process.execPath, ['--import', 'tsx', 'scripts/build-packages.ts', 'cdk', 'client'], {
      cwd: ROOT,
    });
    const { stdout } = await run(
      'npm',
      ['pack', '--workspaces', '--ignore-scripts', '--json', '--pack-destination', packDir],
      { cwd: ROOT, maxBuffer: 16 << 20 },
    );
    const packs = JSON.parse(stdout) as PackResult[];
    const figures = async (short: 'cdk' | 'client', peers: readonly string[]): Promise<PackageFigures> => {
      const pack = packs.find((p) => p.name === `@canvas-credential-broker/${short}`)!;
      const dir = join(work, short);
      mkdirSync(dir);
      const packed: PackedPackage = {
        manifest: JSON.parse(readFileSync(join(ROOT, 'packages', short, 'package.json'), 'utf8')),
        relativeTarball: `../packs/${pack.filename}`,
        tarballPath: join(packDir, pack.filename),
      };
      const { lock, dependencies } = consumerLock(join(ROOT, 'package-lock.json'), short, [packed], peers);
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: short, private: true, dependencies }));
      writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock));
      await run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir });
      const installed = bytesUnder(join(dir, 'node_modules'));
      const entry = join(dir, 'node_modules', pack.name, 'dist', 'index.mjs');
      const samples: InitSample[] = [];
      for (let i = 0; i < IMPORT_RUNS; i++) samples.push(await measureInit(entry, {}, []));
      return {
        name: pack.name,
        packedBytes: pack.size,
        unpackedBytes: pack.unpackedSize,
        installedBytes: installed.bytes,
        installedPackages: installed.packages,
        coldImportMs: median(samples, 'ms'),
        coldImportCpuMs: median(samples, 'cpuMs'),
        importErrors: samples.flatMap((s) => (s.error === undefined ? [] : [s.error])),
      };
    };
    return {
      client: await figures('client', []),
      cdk: await figures('cdk', ['aws-cdk-lib', 'constructs']),
      method: `npm pack of each workspace package (built by scripts/build-packages.ts), npm ci --offline of the tarball alone into an empty folder outside the repository (peers aws-cdk-lib and constructs added for the construct); installed = bytes of every file under node_modules; cold import = median of ${IMPORT_RUNS} fresh \`node\` processes each timing one import() of the package's ESM entry`,
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
};
