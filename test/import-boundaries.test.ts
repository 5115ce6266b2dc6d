import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cruise, type IConfiguration } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * `npm run lint:imports` checks the real tree with .dependency-cruiser.cjs; this suite proves the same
 * rules fail: each case writes a tiny tree with one forbidden import into a temporary folder (never
 * into the repository) and cruises it with the repository's rule set.
 */
const config = createRequire(import.meta.url)('../.dependency-cruiser.cjs') as IConfiguration;
const roots: string[] = [];

const cruiseTree = async (files: Record<string, string>): Promise<string[]> => {
  const root = mkdtempSync(join(tmpdir(), 'broker-imports-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, dirname(path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const result = await cruise(Object.keys(files), {
    baseDir: root,
    ruleSet: { forbidden: config.forbidden ?? [] },
    tsPreCompilationDeps: true,
    validate: true,
  });
  const output = result.output as { summary: { violations: { rule: { name: string } }[] } };
  return output.summary.violations.map((v) => v.rule.name).sort();
};

afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

describe('the import-boundary check', () => {
  it('accepts imports that run the one allowed way', async () => {
    expect(
      await cruiseTree({
        'functions/token-api.ts':
          "import { handler } from '../shared/edge/handler.ts';\nexport { handler };\n",
        'shared/edge/handler.ts': "import { core } from '../core/core.ts';\nexport const handler = core;\n",
        'shared/adapters/aws/store.ts':
          "import { core } from '../../core/core.ts';\nexport const store = core;\n",
        'shared/core/core.ts': "import { createHash } from 'node:crypto';\nexport const core = createHash;\n",
      }),
    ).toEqual([]);
  });

  it('fails when the core imports the edge above it', async () => {
    expect(
      await cruiseTree({
        'shared/core/core.ts':
          "import { handler } from '../edge/handler.ts';\nexport const core = handler;\n",
        'shared/edge/handler.ts': 'export const handler = 1;\n',
      }),
    ).toEqual(['core-is-pure']);
  });

  it('fails when an adapter imports the runtime that wires it', async () => {
    expect(
      await cruiseTree({
        'shared/adapters/aws/store.ts':
          "import { boot } from '../../runtime/boot.ts';\nexport const store = boot;\n",
        'shared/runtime/boot.ts': 'export const boot = 1;\n',
      }),
    ).toEqual(['adapters-implement-core-ports']);
  });

  it('fails when shipped code imports local mode, the simulator or a test double', async () => {
    expect(
      await cruiseTree({
        'shared/runtime/boot.ts':
          "import { local } from '../../dev/local/main.ts';\nimport { double } from '../../test/doubles/store.ts';\nexport const boot = [local, double];\n",
        'dev/local/main.ts': 'export const local = 1;\n',
        'test/doubles/store.ts': 'export const double = 1;\n',
      }),
    ).toEqual([
      'runtime-and-rotation-stay-below-functions',
      'runtime-and-rotation-stay-below-functions',
      'tooling-never-ships',
      'tooling-never-ships',
    ]);
  });

  it('fails when the client package reaches into the Lambda runtime', async () => {
    expect(
      await cruiseTree({
        'packages/client/src/index.ts':
          "import { store } from '../../../shared/adapters/aws/store.ts';\nexport const client = store;\n",
        'shared/adapters/aws/store.ts': 'export const store = 1;\n',
      }),
    ).toEqual(['client-package-ships-alone']);
  });

  it('fails when the construct imports core values rather than types, or the edge', async () => {
    expect(
      await cruiseTree({
        'packages/cdk/src/construct.ts':
          "import { core } from '../../../shared/core/core.ts';\nimport type { Kind } from '../../../shared/core/kind.ts';\nimport { route } from '../../../shared/edge/routes.ts';\nexport const c: [Kind, unknown, unknown] = ['k', core, route];\n",
        'shared/core/core.ts': 'export const core = 1;\n',
        'shared/core/kind.ts': "export type Kind = 'k';\n",
        'shared/edge/routes.ts': 'export const route = 1;\n',
      }),
    ).toEqual(['construct-package-reads-config-only', 'construct-package-takes-only-core-types']);
  });

  it('fails when a test imports a package entry by a private path instead of its name', async () => {
    expect(
      await cruiseTree({
        'test/client.test.ts':
          "import { client } from '../packages/client/src/index.ts';\nexport const t = client;\n",
        'packages/client/src/index.ts': 'export const client = 1;\n',
      }),
    ).toEqual(['packages-by-name']);
  });

  it('fails when the simulator imports local mode', async () => {
    expect(
      await cruiseTree({
        'dev/simulator/main.ts': "import { lock } from '../local/home-lock.ts';\nexport const main = lock;\n",
        'dev/local/home-lock.ts': 'export const lock = 1;\n',
      }),
    ).toEqual(['dev-tools-stand-alone']);
  });
});
