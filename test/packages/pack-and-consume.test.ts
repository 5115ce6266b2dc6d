import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consumerLock, type PackedPackage } from '../../scripts/consumer-lock.ts';

/**
 * Issue 12's acceptance, end to end: both packages are built and packed as `npm publish` would,
 * then installed from their tarballs into a folder outside this repository (so nothing can resolve
 * to its sources or its node_modules), from the npm cache only, together with the example consumer
 * of examples/. Everything there runs under plain `node`: no tsx, no esbuild, no TypeScript.
 */

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);

interface PackResult {
  readonly name: string;
  readonly version: string;
  readonly filename: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly files: readonly { readonly path: string; readonly size: number }[];
}

let work: string;
let app: string;
let packs: readonly PackResult[];
/** Only what the commands need: nothing of the caller's AWS, CDK or broker settings leaks in. */
let cleanEnv: Record<string, string>;

const node = (args: readonly string[], env: Record<string, string> = {}) =>
  run(process.execPath, [...args], { cwd: app, env: { ...cleanEnv, ...env }, maxBuffer: 16 << 20 });

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'broker-consumer-'));
  app = join(work, 'app');
  const packDir = join(work, 'packs');
  mkdirSync(app);
  mkdirSync(packDir);
  cleanEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? work,
    // The repository's npm ci filled this cache; keep it if the caller moved it.
    ...(process.env.npm_config_cache ? { npm_config_cache: process.env.npm_config_cache } : {}),
  };
  const npm = (args: readonly string[], cwd: string) =>
    run('npm', [...args], { cwd, env: cleanEnv, maxBuffer: 16 << 20 });

  // One build for both packages (one tsc run), then pack without prepack rebuilding each.
  await run(process.execPath, ['--import', 'tsx', 'scripts/build-packages.ts', 'cdk', 'client'], {
    cwd: ROOT,
    env: cleanEnv,
  });
  const { stdout } = await npm(
    ['pack', '--workspace=packages/cdk', '--workspace=packages/client', '--ignore-scripts', '--json'].concat([
      '--pack-destination',
      packDir,
    ]),
    ROOT,
  );
  packs = JSON.parse(stdout) as PackResult[];

  const packed: PackedPackage[] = packs.map((p) => ({
    manifest: JSON.parse(
      readFileSync(join(ROOT, 'packages', p.name.split('/')[1]!, 'package.json'), 'utf8'),
    ) as PackedPackage['manifest'],
    relativeTarball: `../packs/${p.filename}`,
    tarballPath: join(packDir, p.filename),
  }));
  const { lock, dependencies } = consumerLock(join(ROOT, 'package-lock.json'), 'consumer', packed, [
    'aws-cdk-lib',
    'constructs',
  ]);
  // The example consumers' own package.json files name the same packages (from dist-packages/).
  const examples = ['platform-app', 'service'].map(
    (dir) =>
      JSON.parse(readFileSync(join(ROOT, 'examples', dir, 'package.json'), 'utf8')) as {
        dependencies: Record<string, string>;
      },
  );
  for (const example of examples) {
    for (const dep of Object.keys(example.dependencies)) expect(dependencies).toHaveProperty(dep);
  }
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies }, null, 2),
  );
  writeFileSync(join(app, 'package-lock.json'), JSON.stringify(lock, null, 2));
  copyFileSync(join(ROOT, 'examples/platform-app/app.mjs'), join(app, 'app.mjs'));
  copyFileSync(join(ROOT, 'examples/service/get-token.cjs'), join(app, 'get-token.cjs'));
  await npm(['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], app);
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

const packOf = (name: string): PackResult => {
  const found = packs.find((p) => p.name === name);
  if (!found) throw new Error(`${name} was not packed`);
  return found;
};

describe('the packed packages', () => {
  it.each(['@canvas-credential-broker/cdk', '@canvas-credential-broker/client'])(
    '%s ships no test, bench, simulator, local-mode or TypeScript source file',
    (name) => {
      const paths = packOf(name).files.map((f) => f.path);
      expect(paths).toContain('package.json');
      expect(paths).toContain('README.md');
      expect(paths).toContain('LICENSE');
      const forbidden = paths.filter(
        (p) =>
          /(^|\/)(test|tests|bench|dev|simulator|local)(\/|$)/.test(p) ||
          /\.(test|bench)\./.test(p) ||
          (/\.[cm]?ts$/.test(p) && !/\.d\.ts$/.test(p)),
      );
      expect(forbidden).toEqual([]);
    },
  );

  it('ships source maps without embedded sources', () => {
    const maps = packOf('@canvas-credential-broker/cdk').files.filter((f) => f.path.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    const installed = join(app, 'node_modules/@canvas-credential-broker/cdk');
    for (const map of maps) {
      const parsed = JSON.parse(readFileSync(join(installed, map.path), 'utf8')) as Record<string, unknown>;
      expect(parsed.sourcesContent, map.path).toBeUndefined();
      // The bundles are built from functions/ and shared/ only: tooling never reaches a Lambda.
      const tooling = (parsed.sources as string[]).filter((s) => /(^|\/)(dev|test|bench|scripts)\//.test(s));
      expect(tooling, map.path).toEqual([]);
    }
    expect(packOf('@canvas-credential-broker/client').files.some((f) => f.path.endsWith('.map'))).toBe(false);
  });

  it('are version 0.2.0 under Apache-2.0 with honest engines', () => {
    for (const name of ['cdk', 'client']) {
      const manifest = JSON.parse(
        readFileSync(join(app, 'node_modules/@canvas-credential-broker', name, 'package.json'), 'utf8'),
      ) as { version: string; license: string; engines: { node: string } };
      expect(manifest).toMatchObject({ version: '0.2.0', license: 'Apache-2.0', engines: { node: '>=20' } });
    }
  });
});

describe('the construct package, installed', () => {
  interface Resource {
    readonly Type: string;
    readonly Properties: Record<string, unknown>;
  }
  let resources: Record<string, Resource>;
  let outdir: string;

  beforeAll(async () => {
    outdir = join(work, 'cdk.out');
    await node(['app.mjs'], { CDK_OUTDIR: outdir });
    resources = (
      JSON.parse(readFileSync(join(outdir, 'CanvasCredentialBroker.template.json'), 'utf8')) as {
        Resources: Record<string, Resource>;
      }
    ).Resources;
  }, 120_000);

  const ofType = (type: string) => Object.values(resources).filter((r) => r.Type === type);

  it('synthesizes the example stack under plain node with the three broker functions', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions.map((f) => f.Properties.Description).sort()).toEqual([
      'Renews stale, recently used tokens',
      'Serves tokens over the REST API',
      'Serves tokens to direct Lambda invokers',
    ]);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs24.x' });
    }
  });

  it('deploys the prebuilt bundles the package ships as the functions code', () => {
    for (const fn of ofType('AWS::Lambda::Function')) {
      const { S3Key } = fn.Properties.Code as { S3Key: string };
      const assetDir = join(outdir, `asset.${S3Key.replace(/\.zip$/, '')}`);
      expect(existsSync(join(assetDir, 'index.mjs')), assetDir).toBe(true);
      expect(readFileSync(join(assetDir, 'index.mjs'), 'utf8')).toMatch(/export\s*\{[^}]*\bhandler\b/);
    }
  });

  it('puts every API method behind IAM', () => {
    const methods = ofType('AWS::ApiGateway::Method');
    expect(methods.length).toBeGreaterThan(0);
    expect(new Set(methods.map((m) => m.Properties.AuthorizationType))).toEqual(new Set(['AWS_IAM']));
  });

  it("grants the example's caller role the token routes", () => {
    const policies = ofType('AWS::IAM::Policy').filter((p) =>
      JSON.stringify(p.Properties.Roles).includes('ReportingServiceRole'),
    );
    expect(JSON.stringify(policies)).toContain('execute-api:Invoke');
  });
});

describe('the construct package, required from CommonJS', () => {
  it('finds its prebuilt bundles there too', async () => {
    const outdir = join(work, 'cjs.out');
    const script = `
      const { App, Stack } = require('aws-cdk-lib');
      const { Secret } = require('aws-cdk-lib/aws-secretsmanager');
      const { CredentialBroker } = require('@canvas-credential-broker/cdk');
      const app = new App({ outdir: ${JSON.stringify(outdir)} });
      const stack = new Stack(app, 'Cjs');
      new CredentialBroker(stack, 'Broker', {
        credentials: [{ id: 'dap', kind: 'identity-service', baseUrl: 'https://api-gateway.instructure.com',
          secret: Secret.fromSecretCompleteArn(stack, 'S', 'arn:aws:secretsmanager:us-east-1:111111111111:secret:dap-AbCdEf') }],
        callers: [{ principals: ['account:111111111111'], credentials: ['dap'] }],
        allowedAccountIds: ['111111111111'],
      });
      const resources = Object.values(app.synth().getStackByName('Cjs').template.Resources);
      console.log(resources.filter((r) => r.Type === 'AWS::Lambda::Function').length);`;
    const { stdout } = await node(['-e', script]);
    expect(stdout.trim()).toBe('3');
  }, 120_000);
});

describe('the client package, installed', () => {
  it('loads with require()', async () => {
    const { stdout } = await node([
      '-e',
      "const c = require('@canvas-credential-broker/client'); console.log(typeof c.makeBrokerClient, typeof c.BrokerClientError);",
    ]);
    expect(stdout.trim()).toBe('function function');
  }, 60_000);

  it('loads with import', async () => {
    const { stdout } = await node([
      '--input-type=module',
      '-e',
      "import { makeBrokerClient, BrokerClientError } from '@canvas-credential-broker/client'; console.log(typeof makeBrokerClient, typeof BrokerClientError);",
    ]);
    expect(stdout.trim()).toBe('function function');
  }, 60_000);

  it('runs the canvas-token bin with --help and --version', async () => {
    const bin = join(app, 'node_modules/.bin/canvas-token');
    const help = await run(bin, ['--help'], { cwd: app, env: cleanEnv });
    expect(help.stdout).toMatch(/^Usage: canvas-token <credential>/);
    const version = await run(bin, ['--version'], { cwd: app, env: cleanEnv });
    expect(version.stdout).toBe('0.2.0\n');
  }, 60_000);

  describe('in the example service script', () => {
    let server: Server;
    const seen: { method?: string; url?: string; authorization?: string } = {};

    beforeAll(async () => {
      server = createServer((req, res) => {
        seen.method = req.method;
        seen.url = req.url;
        seen.authorization = req.headers.authorization;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            token: 'example-token-value',
            tokenType: 'Bearer',
            expiresAt: '2030-01-01T00:00:00.000Z',
            expiresIn: 3600,
            credentialId: 'dap',
            kind: 'identity-service',
            fingerprint: '0123456789abcdef',
          }),
        );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });

    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('gets a token signed with the default AWS credential chain', async () => {
      const secretAccessKey = randomBytes(20).toString('hex');
      globalThis.__ccbRegisterCanary?.(secretAccessKey);
      const { port } = server.address() as AddressInfo;
      const { stdout } = await node(['get-token.cjs', 'dap'], {
        BROKER_ENDPOINT: `http://127.0.0.1:${port}/prod`,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'AKIAEXAMPLECONSUMER1',
        AWS_SECRET_ACCESS_KEY: secretAccessKey,
      });
      expect(stdout).toBe('got a identity-service token 0123456789abcdef, 3600 s left\n');
      expect(seen).toMatchObject({ method: 'POST', url: '/prod/v1/credentials/dap/token' });
      expect(seen.authorization).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIAEXAMPLECONSUMER1\/\d{8}\/us-east-1\/execute-api\/aws4_request/,
      );
    }, 60_000);
  });
});
