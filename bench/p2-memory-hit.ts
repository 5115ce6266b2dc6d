import { randomBytes } from 'node:crypto';
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { startSimulator } from '../dev/simulator/index.ts';
import { makeUpstreamClient } from '../shared/adapters/http/make-upstream-client.ts';
import { makeLocalEnvelopeCipher } from '../shared/adapters/local/local-envelope-cipher.ts';
import { makePowertoolsTelemetry } from '../shared/adapters/powertools/make-powertools-telemetry.ts';
import { systemClock } from '../shared/adapters/system-clock.ts';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../shared/config/env-names.ts';
import { parseBrokerConfig } from '../shared/config/parse-broker-config.ts';
import type { Broker } from '../shared/core/broker.ts';
import { makeBroker } from '../shared/core/make-broker.ts';
import { type Logger, type Metrics, noopLogger, noopMetrics } from '../shared/core/telemetry.ts';
import type { UpstreamClient } from '../shared/core/upstream-client.ts';
import { errorBoundary } from '../shared/edge/error-boundary.ts';
import { toPublicError } from '../shared/edge/error-table.ts';
import { flushMetrics } from '../shared/edge/flush-metrics.ts';
import { errorResponse } from '../shared/edge/http-response.ts';
import { injectLoggerContext } from '../shared/edge/inject-logger-context.ts';
import { makeTokenApiHandler } from '../shared/edge/token-api-handler.ts';
import { makeMemoryTokenStore } from '../test/doubles/memory-token-store.ts';
import { BENCH_USER_AGENT } from './support/bench-user-agent.ts';
import { type OutputSink, redirectOutput } from './support/discard-output.ts';
import { distribution, median, round } from './support/percentiles.ts';
import { makeRecordingTelemetry } from './support/recording-telemetry.ts';
import { API_ACCOUNT, CALLER_ROLE_ARN, lambdaContext, tokenRequestEvent } from './support/rest-event.ts';

const ITERATIONS = 200_000;
const PART_ITERATIONS = 50_000;
const WARMUP = 20_000;
const ROUNDS = 5;
/** Issue 10 item 7: the full hit against a bare middy handler doing the same telemetry, in one run. */
const TARGET_RATIO = 1.25;
/** Ratio phase: many short interleaved rounds, so each round's pair shares the machine's load. */
const RATIO_ROUNDS = 40;
const RATIO_PER_ROUND = 2_500;
/** Distinct events and contexts (request ids), cycled, so no layer sees one object over and over. */
const POOL = 1_024;

export interface OpTiming {
  readonly iterations: number;
  readonly medianNs: number;
  readonly p99Ns: number;
  readonly opsPerSec: number;
}

export interface P2Result extends OpTiming {
  readonly configuration: string;
  /** What the core logs and records per memory hit (names only). */
  readonly telemetryPerHit: { readonly logLines: readonly string[]; readonly metrics: readonly string[] };
  readonly logOutput: {
    readonly linesPerRequest: number;
    readonly bytesPerRequest: number;
    readonly sink: string;
  };
  /** The same request through fewer layers, to see where the time goes. */
  readonly parts: {
    /** makeTokenApiHandler without the middy chain (metrics flushed after each request as the chain does). */
    readonly handlerOnly: OpTiming;
    /** broker.getToken with the Powertools logger and metrics (flushed after each request). */
    readonly coreWithPowertools: OpTiming;
    /** broker.getToken with the no-op logger and metrics. */
    readonly coreWithoutTelemetry: OpTiming;
    /** The log lines the core writes for a memory hit (the audit line), replayed through the Powertools logger. */
    readonly logLines: OpTiming;
    /** The metrics the core records for a memory hit, replayed into the Powertools adapter, and its flush. */
    readonly metricsAndFlush: OpTiming;
  };
  /**
   * The target: the full hit against a bare middy handler (same middleware, same Powertools logger
   * and metrics, emitting the same audit line and metrics, returning the same body) measured
   * interleaved in one run. Median of per-round ratios, with the spread of those ratios.
   */
  readonly ratio: {
    readonly median: number;
    readonly min: number;
    readonly max: number;
    readonly rounds: number;
    readonly fullMedianNs: number;
    readonly bareMiddyMedianNs: number;
    /** The core's memory hit alone (no edge, no telemetry), for scale. */
    readonly bareCoreNsPerOp: number;
  };
  readonly target: { readonly ratio: number };
  readonly met: boolean;
}

type Op = (i: number) => Promise<unknown>;

/**
 * Times every op of every part, one await at a time, in ROUNDS interleaved rounds: load from the
 * rest of the machine drifts over seconds, and interleaving spreads it over all parts alike instead
 * of loading whichever part happened to run during a burst.
 */
const measureInterleaved = async <K extends string>(
  parts: Readonly<Record<K, { readonly op: Op; readonly iterations: number }>>,
): Promise<Record<K, OpTiming>> => {
  const names = Object.keys(parts) as K[];
  const samples = {} as Record<K, Float64Array>;
  const elapsedNs = {} as Record<K, number>;
  for (const name of names) {
    const { op, iterations } = parts[name];
    for (let i = 0; i < WARMUP; i++) await op(i);
    samples[name] = new Float64Array(iterations);
    elapsedNs[name] = 0;
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of names) {
      const { op, iterations } = parts[name];
      const per = iterations / ROUNDS;
      const into = samples[name];
      const start = process.hrtime.bigint();
      for (let i = round * per; i < (round + 1) * per; i++) {
        const began = process.hrtime.bigint();
        await op(i);
        into[i] = Number(process.hrtime.bigint() - began);
      }
      elapsedNs[name] += Number(process.hrtime.bigint() - start);
    }
  }
  const timings = {} as Record<K, OpTiming>;
  for (const name of names) {
    const d = distribution(samples[name]);
    timings[name] = {
      iterations: parts[name].iterations,
      medianNs: Math.round(d.p50),
      p99Ns: Math.round(d.p99),
      opsPerSec: Math.round(parts[name].iterations / (elapsedNs[name] / 1e9)),
    };
  }
  return timings;
};

/** Powertools as in production, or the given ports (no-op, recording). */
type Telemetry = 'powertools' | { readonly logger: Logger; readonly metrics: Metrics & { flush(): void } };

interface Composition {
  readonly broker: Broker;
  readonly logger: Logger;
  readonly metrics: Metrics & { flush(): void };
  readonly powertoolsLogger: PowertoolsLogger;
  readonly sink: OutputSink;
}

const CALLER = { arn: CALLER_ROLE_ARN, accountId: API_ACCOUNT };
const REQUEST = { credentialId: 'dap', minTtlSeconds: 60 };

/**
 * The production composition of functions/token-api.ts (bootLambda: Powertools telemetry, then
 * makeAwsBroker over the parsed BROKER_CONFIG) with two substitutions that a memory hit never
 * reaches: the memory token store for DynamoDB and the local AES cipher for KMS. The upstream is the
 * simulator through the real HTTP client, so the token has a real token's size. The one mint happens
 * here, before any timing.
 */
const compose = async (
  simUrl: string,
  secretFields: Record<string, string>,
  telemetry: Telemetry,
  options: { readonly captureOutput?: boolean; readonly upstream?: UpstreamClient } = {},
): Promise<Composition> => {
  const config = parseBrokerConfig({
    credentials: [{ id: 'dap', kind: 'identity-service', secretId: 'dap-secret', baseUrl: simUrl }],
    callers: [{ principals: [CALLER_ROLE_ARN], credentials: ['dap'] }],
  });
  const powertoolsLogger = new PowertoolsLogger({ serviceName: SERVICE_NAME, logLevel: 'INFO' });
  const powertoolsMetrics = new PowertoolsMetrics({
    serviceName: SERVICE_NAME,
    namespace: METRICS_NAMESPACE,
    logger: powertoolsLogger,
  });
  const sink = redirectOutput([powertoolsLogger, powertoolsMetrics], options.captureOutput ?? false);
  const powertools = makePowertoolsTelemetry({
    serviceName: SERVICE_NAME,
    namespace: METRICS_NAMESPACE,
    logLevel: 'INFO',
    powertoolsLogger,
    powertoolsMetrics,
  });
  const { logger, metrics } = telemetry === 'powertools' ? powertools : telemetry;
  const broker = makeBroker({
    credentials: config.credentials,
    policy: config.policy,
    settings: config.settings,
    store: makeMemoryTokenStore(),
    secrets: { get: async () => ({ versionId: 'bench-v1', fields: secretFields }) },
    cipher: makeLocalEnvelopeCipher({ key: randomBytes(32), keyId: 'bench' }),
    upstreamFor: (credential) =>
      options.upstream ??
      makeUpstreamClient(credential, {
        clock: systemClock,
        timeoutMs: config.settings.upstreamTimeoutMs,
        userAgent: BENCH_USER_AGENT,
      }),
    clock: systemClock,
    logger,
    metrics,
    instanceId: 'bench-p2',
  });
  await broker.getToken(CALLER, REQUEST);
  metrics.flush();
  return { broker, logger, metrics, powertoolsLogger, sink };
};

/** functions/token-api.ts's middy chain around the handler, middleware for middleware. */
const productionChain = (c: Composition) => {
  const handleRequest = makeTokenApiHandler({ broker: c.broker, logger: c.logger, metrics: c.metrics });
  return {
    handleRequest,
    handler: middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
      .use(injectLoggerContext(c.powertoolsLogger))
      .use(flushMetrics(c.metrics))
      .use(errorBoundary(c.logger, (error, requestId) => errorResponse(toPublicError(error), requestId)))
      .handler((event, context, { signal }) => handleRequest(event, context, { signal })),
  };
};

/**
 * P2: a memory-tier hit through the whole API handler, event in and response out, in the production
 * configuration (middy chain, Powertools logger and EMF metrics writing through a real Console to a
 * discarding stream), timed per request with process.hrtime.bigint after warm-up.
 */
export const runP2 = async (): Promise<P2Result> => {
  const sim = await startSimulator({ port: 0 });
  try {
    const seeds = sim.seeds();
    const secretFields = { clientId: seeds.identity.clientId, clientSecret: seeds.identity.clientSecret };
    const events = Array.from({ length: POOL }, () => tokenRequestEvent('dap', { minTtlSeconds: 60 }));
    const contexts: Context[] = Array.from({ length: POOL }, () => lambdaContext());

    // The production composition (and a twin that captures its output) mint their token now.
    const check = await compose(sim.url, secretFields, 'powertools', { captureOutput: true });
    const prod = await compose(sim.url, secretFields, 'powertools');

    // First, with output captured: the request works, is a memory hit, and prints no token.
    const checkChain = productionChain(check);
    const first = await checkChain.handler(events[0]!, contexts[0]!);
    const token = (JSON.parse(first.body) as { token?: string }).token;
    if (first.statusCode !== 200 || !token) throw new Error(`P2: first request answered ${first.statusCode}`);
    check.sink.drain();
    const hits = 100;
    for (let i = 1; i <= hits; i++) {
      const response = await checkChain.handler(events[i]!, contexts[i]!);
      if (response.statusCode !== 200) throw new Error(`P2: request answered ${response.statusCode}`);
    }
    const lines = check.sink.drain();
    if (lines.some((line) => line.includes(token))) throw new Error('P2: a log line carries the token');
    if (!lines.some((line) => line.includes('"tier":"memory"')))
      throw new Error('P2: requests were not memory hits');
    const logOutput = {
      linesPerRequest: round(lines.length / hits, 2),
      bytesPerRequest: Math.round(lines.reduce((n, line) => n + line.length, 0) / hits),
      sink: 'Powertools Logger and Metrics, each with a node:console Console on a Writable that discards',
    };

    // Phase 1, the production shape alone in the process. V8 shares type feedback between all
    // brokers built by makeBroker, so a broker with other Logger/Metrics objects (phase 2) would make
    // the core's call sites polymorphic and slow this one down: it is built only afterwards.
    const chain = productionChain(prod);
    const at = (i: number) => i & (POOL - 1);
    const { full, ...layers } = await measureInterleaved({
      full: { iterations: ITERATIONS, op: (i) => chain.handler(events[at(i)]!, contexts[at(i)]!) },
      handlerOnly: {
        iterations: PART_ITERATIONS,
        // The chain flushes metrics per request; without it the buffer would grow for the whole run.
        op: (i) => chain.handleRequest(events[at(i)]!, contexts[at(i)]!).finally(() => prod.metrics.flush()),
      },
      coreWithPowertools: {
        iterations: PART_ITERATIONS,
        op: () => prod.broker.getToken(CALLER, REQUEST).finally(() => prod.metrics.flush()),
      },
    });

    // Phase 2: the core without telemetry, and the telemetry without the core. These brokers get the
    // same token from an in-process upstream (no network: the simulator connection may be idle now).
    const sameToken: UpstreamClient = {
      mint: async () => {
        const issuedAt = Date.now();
        return { token, issuedAt, expiresAt: issuedAt + 3_599_000, readableExpiry: true };
      },
    };
    const bare = await compose(
      sim.url,
      secretFields,
      { logger: noopLogger, metrics: { ...noopMetrics, flush() {} } },
      {
        upstream: sameToken,
      },
    );
    const recording = makeRecordingTelemetry();
    const recorder = await compose(sim.url, secretFields, recording, { upstream: sameToken });
    // Exactly what the core logs and records for one memory hit, replayed through Powertools below.
    recording.clear();
    if ((await recorder.broker.getToken(CALLER, REQUEST)).tier !== 'memory')
      throw new Error('P2: not a memory hit');
    const { logs, metrics: points } = recording.recorded;
    const pieces = await measureInterleaved({
      coreWithoutTelemetry: { iterations: PART_ITERATIONS, op: () => bare.broker.getToken(CALLER, REQUEST) },
      logLines: {
        iterations: PART_ITERATIONS,
        op: async () => {
          for (const { level, message, fields } of logs) prod.logger[level](message, fields);
        },
      },
      metricsAndFlush: {
        iterations: PART_ITERATIONS,
        op: async () => {
          for (const { name, value, unit, dimensions } of points)
            prod.metrics.add(name, value, unit, dimensions);
          prod.metrics.flush();
        },
      },
    });
    const parts = { ...layers, ...pieces };

    // Phase 3, the target: the production chain against a bare middy handler with the same
    // middleware and the same Powertools objects, emitting exactly the recorded audit line and
    // metrics and answering the same headers and body. Short alternating rounds (ABAB...) put both
    // under the same load, so the ratio holds on a busy machine where absolute times do not.
    const bareMiddy = middy<APIGatewayProxyEvent, APIGatewayProxyResult>()
      .use(injectLoggerContext(prod.powertoolsLogger))
      .use(flushMetrics(prod.metrics))
      .use(errorBoundary(prod.logger, (error, requestId) => errorResponse(toPublicError(error), requestId)))
      .handler(async () => {
        for (const { level, message, fields } of logs) prod.logger[level](message, fields);
        for (const { name, value, unit, dimensions } of points)
          prod.metrics.add(name, value, unit, dimensions);
        return { statusCode: first.statusCode, headers: first.headers, body: first.body };
      });
    const fullOp: Op = (i) => chain.handler(events[at(i)]!, contexts[at(i)]!);
    const bareOp: Op = (i) => bareMiddy(events[at(i)]!, contexts[at(i)]!);
    for (let i = 0; i < WARMUP; i++) {
      await fullOp(i);
      await bareOp(i);
    }
    const roundMedian = async (op: Op, from: number): Promise<number> => {
      const into = new Float64Array(RATIO_PER_ROUND);
      for (let i = 0; i < RATIO_PER_ROUND; i++) {
        const began = process.hrtime.bigint();
        await op(from + i);
        into[i] = Number(process.hrtime.bigint() - began);
      }
      return distribution(into).p50;
    };
    const ratios: number[] = [];
    const fullMedians: number[] = [];
    const bareMedians: number[] = [];
    for (let r = 0; r < RATIO_ROUNDS; r++) {
      // Alternate which goes first, so neither always runs right after the other's garbage.
      let fullNs: number;
      let bareNs: number;
      if (r % 2 === 0) {
        fullNs = await roundMedian(fullOp, r * RATIO_PER_ROUND);
        bareNs = await roundMedian(bareOp, r * RATIO_PER_ROUND);
      } else {
        bareNs = await roundMedian(bareOp, r * RATIO_PER_ROUND);
        fullNs = await roundMedian(fullOp, r * RATIO_PER_ROUND);
      }
      fullMedians.push(fullNs);
      bareMedians.push(bareNs);
      ratios.push(fullNs / bareNs);
    }
    const ratio = {
      median: round(median(ratios), 3),
      min: round(Math.min(...ratios), 3),
      max: round(Math.max(...ratios), 3),
      rounds: RATIO_ROUNDS,
      fullMedianNs: Math.round(median(fullMedians)),
      bareMiddyMedianNs: Math.round(median(bareMedians)),
      bareCoreNsPerOp: parts.coreWithoutTelemetry.medianNs,
    };

    const met = ratio.median <= TARGET_RATIO;
    return {
      ...full,
      configuration:
        'functions/token-api.ts chain (middy + injectLoggerContext + flushMetrics + errorBoundary) over makeTokenApiHandler, Powertools telemetry at INFO; memory token store, local AES cipher; upstream: simulator via the real HTTP client',
      telemetryPerHit: {
        logLines: logs.map((l) => `${l.level} ${l.message}`),
        metrics: points.map((m) => `${m.name}${m.dimensions ? ` ${JSON.stringify(m.dimensions)}` : ''}`),
      },
      logOutput,
      parts,
      ratio,
      target: { ratio: TARGET_RATIO },
      met,
    };
  } finally {
    await sim.stop();
  }
};
