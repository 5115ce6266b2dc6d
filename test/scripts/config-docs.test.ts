import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { demoBrokerConfig } from '../../dev/local/demo-broker-config.ts';
import { sampleBrokerProps } from '../../infra/sample-config.ts';
import { validateBrokerProps } from '../../packages/cdk/src/validate-broker-props.ts';
import { configJsonSchema, configurationReference } from '../../scripts/config-docs.ts';
import { parseBrokerConfig } from '../../shared/config/parse-broker-config.ts';
import { DEFAULT_SETTINGS } from '../../shared/core/broker-settings.ts';

const docs = (name: string): string => readFileSync(new URL(`../../docs/${name}`, import.meta.url), 'utf8');

const demo = demoBrokerConfig({
  identityUrl: 'http://127.0.0.1:9000',
  canvasUrl: 'http://127.0.0.1:9001',
  identitySecretId: 'dap-secret',
  canvasSecretId: 'canvas-secret',
  principals: ['arn:aws:iam::111122223333:role/local'],
});

const validate = new Ajv({ strict: false }).compile(configJsonSchema());

describe('the generated configuration docs', () => {
  it('docs/config.schema.json is what npm run docs:config writes (no drift)', () => {
    expect(docs('config.schema.json')).toBe(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
  });

  it('docs/configuration.md is what npm run docs:config writes (no drift)', () => {
    expect(docs('configuration.md')).toBe(configurationReference());
  });

  it('documents every tuning setting with its default, and BROKER_LOG_LEVEL', () => {
    const reference = configurationReference();
    for (const [name, value] of Object.entries(DEFAULT_SETTINGS)) {
      expect(reference).toContain(`| \`${name}\` | ${value} |`);
    }
    expect(reference).toContain('`BROKER_LOG_LEVEL`');
    expect(reference).toContain('`POWERTOOLS_LOG_LEVEL`');
  });
});

describe('the published JSON Schema', () => {
  it('accepts local mode’s demo config and a config with settings and a $schema line, as the parser does', () => {
    const withSettings = {
      $schema: './node_modules/@canvas-credential-broker/cdk/config.schema.json',
      ...demo,
      settings: { leaseMs: 20_000, refreshJitterMs: 0 },
    };
    for (const config of [demo, withSettings]) {
      expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
      expect(() => parseBrokerConfig(config)).not.toThrow();
    }
  });

  it('accepts the demo config with its lti-advantage credential, and what the construct derives from the sample deployment', () => {
    const withLti = demoBrokerConfig({
      identityUrl: 'http://127.0.0.1:9000',
      canvasUrl: 'http://127.0.0.1:9001',
      identitySecretId: 'dap-secret',
      canvasSecretId: 'canvas-secret',
      principals: ['arn:aws:iam::111122223333:role/local'],
      ltiClientId: '10000000000042',
    });
    expect(withLti.credentials.map((c) => c.kind)).toContain('lti-advantage');
    const sample = validateBrokerProps(sampleBrokerProps(new Stack(new App(), 'Sample')));
    for (const config of [withLti, sample]) {
      expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
      expect(() => parseBrokerConfig(config)).not.toThrow();
    }
  });

  it.each([
    ['an unknown top-level field', { ...demo, extra: 1 }],
    ['no credentials', { ...demo, credentials: [] }],
    ['an unknown kind', { ...demo, credentials: [{ ...demo.credentials[0], kind: 'oauth' }] }],
    ['an upper-case id', { ...demo, credentials: [{ ...demo.credentials[0], id: 'DAP' }] }],
    ['a misspelt credential field', { ...demo, credentials: [{ ...demo.credentials[0], callerParam: {} }] }],
    ['a caller rule without principals', { ...demo, callers: [{ principals: [], credentials: ['*'] }] }],
    ['a fractional setting', { ...demo, settings: { leaseMs: 1.5 } }],
    ['a zero lease', { ...demo, settings: { leaseMs: 0 } }],
    ['an unknown setting', { ...demo, settings: { leaseSeconds: 20 } }],
  ])('rejects %s, as the parser does', (_, config) => {
    expect(validate(config)).toBe(false);
    expect(() => parseBrokerConfig(config)).toThrow();
  });
});
