/**
 * Import boundaries, checked by `npm test` (`npm run lint:imports`). Imports run one way:
 *
 *   functions/ ──> shared/edge, shared/runtime ──> shared/core <── shared/adapters
 *                                                   ^    ^
 *                  packages/client/src (types, errors) │    └── packages/cdk/src (types) + shared/config
 *
 * What ships where: shared/ and functions/ only inside the Lambda bundles; packages/<name>/src in that
 * npm package; dev/ (local mode, the simulator) and test/ never ship. Paths are repository-relative.
 * test/import-boundaries.test.ts proves each rule fails on an import it forbids.
 */
const TOOLING = '^(dev|test|bench|scripts|examples)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment:
        'The core holds the lifecycle and its ports: no AWS SDK, no adapters, edge, runtime or config. Its only Node module is crypto (fingerprints).',
      severity: 'error',
      from: { path: '^shared/core/' },
      to: { pathNot: ['^shared/core/', '^(node:)?crypto$'] },
    },
    {
      name: 'adapters-implement-core-ports',
      comment: 'Adapters import the core (ports, errors) and config names, never the layers that use them.',
      severity: 'error',
      from: { path: '^shared/adapters/' },
      to: { path: ['^shared/(edge|runtime|rotation)/', '^(functions|packages|infra)/', TOOLING] },
    },
    {
      name: 'config-is-names-and-schema',
      comment: 'Config is read by infra and runtime alike, so it may lean only on the core.',
      severity: 'error',
      from: { path: '^shared/config/' },
      to: { path: ['^shared/(adapters|edge|runtime|rotation)/', '^(functions|packages|infra)/', TOOLING] },
    },
    {
      name: 'edge-speaks-core',
      comment: 'The edge maps events and errors onto the core; the runtime wires adapters, not the edge.',
      severity: 'error',
      from: { path: '^shared/edge/' },
      to: { path: ['^shared/(adapters|runtime|rotation)/', '^(functions|packages|infra)/', TOOLING] },
    },
    {
      name: 'runtime-and-rotation-stay-below-functions',
      severity: 'error',
      from: { path: '^shared/(runtime|rotation)/' },
      to: { path: ['^shared/edge/', '^(functions|packages|infra)/', TOOLING] },
    },
    {
      name: 'functions-are-entry-points',
      comment:
        'A function file wires shared/ code; nothing imports a function and functions import no tooling.',
      severity: 'error',
      from: { path: '^functions/' },
      to: { path: ['^(functions|packages|infra)/', TOOLING] },
    },
    {
      name: 'client-package-ships-alone',
      comment:
        'The published client bundles what it imports: only the core types and errors, never the runtime, the CDK or tooling.',
      severity: 'error',
      from: { path: '^packages/client/src/' },
      to: { path: ['^shared/(?!core/)', '^(functions|infra|packages/cdk)/', TOOLING] },
    },
    {
      name: 'construct-package-reads-config-only',
      comment:
        'The construct imports shared config names and the parser; from the core only types. Lambda code reaches it as prebuilt bundles.',
      severity: 'error',
      from: { path: '^packages/cdk/src/' },
      to: { path: ['^shared/(?!(config|core)/)', '^(functions|infra|packages/client)/', TOOLING] },
    },
    {
      name: 'construct-package-takes-only-core-types',
      severity: 'error',
      from: { path: '^packages/cdk/src/' },
      to: { path: '^shared/core/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'tooling-never-ships',
      comment: 'dev/, test/ and bench/ may use everything; nothing that ships may use them.',
      severity: 'error',
      from: { path: '^(shared|functions|packages|infra)/' },
      to: { path: TOOLING },
    },
    {
      name: 'dev-tools-stand-alone',
      comment:
        'The simulator imitates Instructure: it knows nothing of local mode or the broker beyond core helpers.',
      severity: 'error',
      from: { path: '^dev/simulator/' },
      to: { path: ['^dev/local/', '^shared/(?!core/)', '^(test|bench|infra|packages)/'] },
    },
    {
      name: 'dev-tools-do-not-use-tests',
      severity: 'error',
      from: { path: '^dev/' },
      to: { path: '^(test|bench|scripts|examples)/' },
    },
    {
      name: 'packages-by-name',
      comment:
        'Outside a package, its entry is imported by package name, as a consumer does (the source condition maps the name to src/index.ts).',
      severity: 'error',
      from: { path: '^(test|bench|dev|infra|scripts)/' },
      to: {
        path: '^packages/[^/]+/src/index\\.ts$',
        dependencyTypesNot: [
          'npm',
          'npm-dev',
          'npm-peer',
          'npm-optional',
          'aliased-workspace',
          'aliased',
          'npm-no-pkg',
          'npm-unknown',
        ],
      },
    },
    {
      name: 'no-built-package-output',
      comment: 'Sources never import a package build: the source condition must resolve the name.',
      severity: 'error',
      from: {},
      to: { path: '^packages/[^/]+/dist/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^packages/[^/]+/dist/', '^docs/', 'cdk\\.out'] },
    // Type-only imports count: a type import of the runtime from the client would still couple them.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      conditionNames: ['@canvas-credential-broker/source', 'import', 'require', 'node', 'default'],
      exportsFields: ['exports'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
