import { type JsonSchema, toJsonSchema } from '@valibot/to-json-schema';
import { brokerConfigSchema } from '../shared/config/broker-config-schema.ts';
import { ENV } from '../shared/config/env-names.ts';
import { CREDENTIAL_ID_PATTERN } from '../shared/core/credential.ts';

/**
 * docs/config.schema.json and docs/configuration.md, both generated from the one config schema
 * (shared/config/broker-config-schema.ts): `npm run docs:config` writes them, and
 * test/scripts/config-docs.test.ts fails when the committed files differ from what this returns.
 */
/** A name, not a location: the file ships as `@canvas-credential-broker/cdk/config.schema.json`. */
export const SCHEMA_ID = 'urn:canvas-credential-broker:config-schema:0.2';

type Node = JsonSchema & {
  properties?: Record<string, Node>;
  items?: Node;
  required?: string[];
  description?: string;
  default?: unknown;
  pattern?: string;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  type?: string;
};

export const configJsonSchema = (): Node => {
  // Checks the shape cannot express (parameter values, principals, cross-references, https) are
  // made by parseBrokerConfig after the schema; 'ignore' leaves them out of the JSON Schema.
  const schema = toJsonSchema(brokerConfigSchema, { errorMode: 'ignore' }) as Node;
  const credential = schema.properties!.credentials!.items!;
  // The id has two patterns (printable ASCII, then the id rule); JSON Schema holds one, the stricter.
  credential.properties!.id!.pattern = CREDENTIAL_ID_PATTERN.source;
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: SCHEMA_ID,
    title: 'canvas-credential-broker config',
    ...schema,
  } as Node;
};

const typeOf = (node: Node): string => {
  if (node.enum) return node.enum.map((e) => `\`${String(e)}\``).join(' \\| ');
  if (node.type === 'array') return `array of ${node.items ? typeOf(node.items) : 'any'}`;
  return node.type ?? 'any (checked by the parser)';
};

const bounds = (node: Node): string => {
  const parts: string[] = [];
  if (node.minimum !== undefined) parts.push(`≥ ${node.minimum}`);
  if (node.maximum !== undefined && node.maximum < Number.MAX_SAFE_INTEGER) parts.push(`≤ ${node.maximum}`);
  if (node.maxLength !== undefined) parts.push(`≤ ${node.maxLength} chars`);
  if (node.minItems !== undefined) parts.push(`≥ ${node.minItems} item${node.minItems === 1 ? '' : 's'}`);
  if (node.pattern !== undefined && node.pattern !== '^[\\x21-\\x7E]+$') parts.push(`\`${node.pattern}\``);
  return parts.join(', ');
};

const cell = (text: string | undefined): string => (text ?? '').replaceAll('|', '\\|');

const fieldTable = (node: Node, withDefault = false): string[] => {
  const required = new Set(node.required ?? []);
  const head = withDefault
    ? ['| field | default | bounds | meaning |', '| --- | --- | --- | --- |']
    : ['| field | type | required | bounds | meaning |', '| --- | --- | --- | --- | --- |'];
  return [
    ...head,
    ...Object.entries(node.properties ?? {}).map(([name, field]) =>
      withDefault
        ? `| \`${name}\` | ${String(field.default)} | ${bounds(field)} | ${cell(field.description)} |`
        : `| \`${name}\` | ${typeOf(field)} | ${required.has(name) ? 'yes' : 'no'} | ${bounds(field)} | ${cell(field.description)} |`,
    ),
  ];
};

/** Environment variables the functions and local mode read (names from shared/config/env-names.ts). */
const ENVIRONMENT: readonly (readonly [string, string])[] = [
  [ENV.config, 'The configuration described above, as JSON (set by the construct from its props).'],
  [ENV.tableName, 'The DynamoDB token table (set by the construct).'],
  [ENV.envelopeKeyArn, 'The KMS key that wraps the data keys of stored tokens (set by the construct).'],
  [
    ENV.apiId,
    'token-api: the REST API id whose events it answers; others are refused (set by the construct).',
  ],
  [ENV.apiStage, 'token-api: the stage whose events it answers (set by the construct).'],
  [ENV.canvasBaseUrl, 'Rotation: the Canvas base URL of the rotated token.'],
  [ENV.rotationTokenExpiryDays, 'Rotation: days until a new Canvas token expires.'],
  [
    ENV.rotationRotateEveryDays,
    'Rotation: the schedule interval in days (for the CanvasTokenLifeLow alarm).',
  ],
  [ENV.serviceName, 'Powertools service name (default canvas-credential-broker).'],
  [ENV.metricsNamespace, 'Powertools metrics namespace (default CanvasCredentialBroker).'],
  [ENV.logLevel, 'Powertools log level of the functions: DEBUG, INFO (default), WARN, ERROR.'],
  ['BROKER_LOG_LEVEL', 'Local mode (`npm start`): console log level, debug, info (default), warn or error.'],
  ['BROKER_HOME', 'Local mode: the folder of all local state (default `.broker`; created 0700).'],
  ['BROKER_PORT', 'Local mode: the port of the local API (default 8787).'],
  ['BROKER_IDENTITY_URL', 'Local mode: a real or other Identity Service instead of the embedded simulator.'],
  ['BROKER_CANVAS_URL', 'Local mode: a real or other Canvas instead of the embedded simulator.'],
  ['BROKER_ENDPOINT', 'The `canvas-token` CLI: the broker API to call (else local mode’s credentials file).'],
  [
    'DYNAMODB_ENDPOINT',
    'Tests only: run every DynamoDB-backed test against this server instead of dynalite.',
  ],
];

export const configurationReference = (): string => {
  const schema = configJsonSchema();
  const props = schema.properties!;
  const credential = props.credentials!.items!;
  const caller = props.callers!.items!;
  const settings = props.settings!;
  return [
    '# Configuration reference',
    '',
    '<!-- Generated by `npm run docs:config` from shared/config/broker-config-schema.ts; do not edit. -->',
    '',
    `${schema.description ?? ''} The JSON Schema is [config.schema.json](config.schema.json), also`,
    'shipped as `@canvas-credential-broker/cdk/config.schema.json`: put',
    '`"$schema": "./node_modules/@canvas-credential-broker/cdk/config.schema.json"` (or a path to this',
    'file) at the top of a config.json for editor completion and checks. The broker validates with',
    'the same schema, then checks what a',
    'schema cannot say (parameter values as requests are normalized, principal forms, credential',
    'references, https), and fails at start with `<path>: <problem>`.',
    '',
    '## Top level',
    '',
    ...fieldTable(schema),
    '',
    '## `credentials[]`',
    '',
    ...fieldTable(credential),
    '',
    'Parameters (`fixedParams`, `callerParams`) exist only for `canvas-jwt`: `workflows`, `contextType`,',
    '`contextId`, `contextUuid`, `canvasAudience`, `audience`. A fixed value cannot also be caller-chosen;',
    'a caller-chosen one is `"*"` or a non-empty list of allowed values.',
    '',
    '## `callers[]`',
    '',
    ...fieldTable(caller),
    '',
    '## `settings`',
    '',
    `${settings.description ?? ''}`,
    '',
    ...fieldTable(settings, true),
    '',
    'Also checked: `pollMinMs` ≤ `pollMaxMs`, `backoffMinMs` and `backoffBaseMs` ≤ `backoffCapMs`, and',
    'at start the lease and wait against the deadlines they must cover.',
    '',
    '## Environment variables',
    '',
    '| variable | meaning |',
    '| --- | --- |',
    ...ENVIRONMENT.map(([name, meaning]) => `| \`${name}\` | ${cell(meaning)} |`),
    '',
  ].join('\n');
};
