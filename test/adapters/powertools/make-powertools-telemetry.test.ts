import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makePowertoolsTelemetry } from '../../../shared/adapters/powertools/make-powertools-telemetry.ts';
import { StoreUnavailableError } from '../../../shared/core/errors.ts';
import { findCanaryLeaks, makeCanary } from '../../support/canary.ts';

/** Everything Powertools prints goes to stdout through its own Console; capture it instead. */
let lines: string[] = [];
beforeEach(() => {
  lines = [];
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    }) as never);
  }
});
afterEach(() => {
  vi.restoreAllMocks();
});

const telemetry = (logLevel: 'DEBUG' | 'INFO' = 'INFO') =>
  makePowertoolsTelemetry({ serviceName: 'broker-test', namespace: 'BrokerTest', logLevel });

// biome-ignore lint/suspicious/noExplicitAny: printed JSON is probed field by field
const json = () => lines.map((line) => JSON.parse(line) as Record<string, any>);

describe('the Powertools logger adapter', () => {
  it('writes one JSON line per entry with the fields at top level', () => {
    telemetry().logger.info('token served', {
      credentialId: 'dap',
      fingerprint: '0123456789abcdef',
      audit: true,
    });
    expect(json()).toEqual([
      expect.objectContaining({
        level: 'INFO',
        message: 'token served',
        service: 'broker-test',
        credentialId: 'dap',
        fingerprint: '0123456789abcdef',
        audit: true,
      }),
    ]);
  });

  it('honours the log level', () => {
    const { logger } = telemetry('INFO');
    logger.debug('hidden');
    logger.warn('shown');
    expect(json().map((l) => l.message)).toEqual(['shown']);
  });

  it('renames fields that would collide with the keys Powertools owns', () => {
    telemetry().logger.info('x', { message: 'inner', level: 'low', timestamp: 1 });
    expect(json()).toEqual([
      expect.objectContaining({
        message: 'x',
        field_message: 'inner',
        field_level: 'low',
        field_timestamp: 1,
      }),
    ]);
  });

  it('never throws on fields JSON cannot represent', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const { logger } = telemetry();
    expect(() =>
      logger.error('odd fields', {
        big: 10n,
        cyclic,
        fn: () => 1,
        nan: Number.NaN,
        date: new Date(0),
        bytes: Buffer.from('binary'),
        deep: { a: { b: { c: { d: { e: 1 } } } } },
      }),
    ).not.toThrow();
    const [line] = json();
    expect(line).toMatchObject({
      big: '10',
      nan: 'NaN',
      date: '1970-01-01T00:00:00.000Z',
      bytes: '[binary]',
    });
    expect(line!.fn).toBeUndefined();
  });

  it('logs a BrokerError with its code and details but not what its cause carried', () => {
    const secret = makeCanary('secret');
    const cause = Object.assign(new Error('socket hang up'), {
      request: { headers: { authorization: secret } },
    });
    const error = new StoreUnavailableError('GetItem failed', { cause, details: { table: 'broker-tokens' } });
    telemetry().logger.error('request failed', { error });
    const [line] = json();
    expect(line!.error).toMatchObject({
      name: 'StoreUnavailableError',
      code: 'STORE_UNAVAILABLE',
      message: 'GetItem failed',
      details: { table: 'broker-tokens' },
      cause: { name: 'Error', message: 'socket hang up' },
    });
    expect(findCanaryLeaks(lines, [secret])).toEqual([]);
  });

  it('redacts credential-shaped text from the message of a foreign error', () => {
    const token = makeCanary('token');
    const error = Object.assign(new TypeError(`unexpected token ${token} in response`), { body: token });
    telemetry().logger.error('request failed', { error });
    expect(json()[0]!.error.message).toContain('[redacted]');
    expect(findCanaryLeaks(lines, [token])).toEqual([]);
  });
});

describe('the Powertools metrics adapter', () => {
  it('buffers until flush, then writes one EMF document per dimension set', () => {
    const { metrics } = telemetry();
    metrics.add('TierHit', 1, 'Count', { tier: 'memory' });
    metrics.add('TierHit', 1, 'Count', { tier: 'memory' });
    metrics.add('TierHit', 1, 'Count', { tier: 'table' });
    metrics.add('TokenAgeAtServe', 12, 'Seconds');
    expect(lines).toEqual([]);
    metrics.flush();
    const documents = json();
    expect(documents).toHaveLength(3);
    const memory = documents.find((d) => d.tier === 'memory')!;
    expect(memory.TierHit).toEqual([1, 1]);
    expect(memory._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'BrokerTest',
      Dimensions: [['service', 'tier']],
      Metrics: [{ Name: 'TierHit', Unit: 'Count' }],
    });
    expect(documents.find((d) => d.tier === 'table')!.TierHit).toBe(1);
    const plain = documents.find((d) => d.TokenAgeAtServe !== undefined)!;
    expect(plain.tier).toBeUndefined();
    expect(plain._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service']]);
  });

  it('writes nothing, not even a warning, when nothing was recorded', () => {
    telemetry().metrics.flush();
    expect(lines).toEqual([]);
  });

  it('splits more than 99 values of one metric across documents without losing dimensions', () => {
    const { metrics } = telemetry();
    for (let i = 0; i < 250; i++) metrics.add('LeaseWait', i, 'Milliseconds', { credentialId: 'dap' });
    metrics.flush();
    const documents = json();
    expect(documents).toHaveLength(3);
    expect(documents.every((d) => d.credentialId === 'dap')).toBe(true);
    expect(documents.flatMap((d) => d.LeaseWait)).toHaveLength(250);
  });

  it('drops values and dimensions CloudWatch would reject instead of throwing', () => {
    const { metrics } = telemetry();
    expect(() => {
      metrics.add('Mint', Number.NaN, 'Count');
      metrics.add('Mint', Number.POSITIVE_INFINITY, 'Count');
      metrics.add('Mint', 1, 'Count', { '': 'x', empty: '' });
    }).not.toThrow();
    metrics.flush();
    expect(json()).toEqual([expect.objectContaining({ Mint: 1 })]);
  });

  it('accepts injected Powertools instances', () => {
    const powertoolsLogger = new PowertoolsLogger({ serviceName: 'injected' });
    const powertoolsMetrics = new PowertoolsMetrics({ serviceName: 'injected', namespace: 'Injected' });
    const t = makePowertoolsTelemetry({
      serviceName: 'x',
      namespace: 'x',
      powertoolsLogger,
      powertoolsMetrics,
    });
    t.logger.info('hello');
    t.metrics.add('Mint', 1, 'Count');
    t.metrics.flush();
    expect(json().map((d) => d.service)).toEqual(['injected', 'injected']);
    expect(t.powertoolsLogger).toBe(powertoolsLogger);
  });
});
