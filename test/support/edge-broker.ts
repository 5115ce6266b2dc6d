import { parseBrokerConfig } from '../../shared/config/parse-broker-config.ts';
import type { Broker } from '../../shared/core/broker.ts';
import type { BrokerError } from '../../shared/core/errors.ts';
import { makeBroker } from '../../shared/core/make-broker.ts';
import type { TokenStore } from '../../shared/core/token-store.ts';
import type { IssuedToken, UpstreamClient } from '../../shared/core/upstream-client.ts';
import { makeMemoryTokenStore } from '../doubles/memory-token-store.ts';
import {
  type CapturingLogger,
  type CapturingMetrics,
  makeCanary,
  makeCapturingLogger,
  makeCapturingMetrics,
} from './canary.ts';
import { type FakeClock, makeFakeClock } from './fake-clock.ts';
import { makeFakeSecrets } from './fake-secrets.ts';

/**
 * The real broker core behind the edge handlers: a parsed config (through parseBrokerConfig),
 * the memory token store, a fixed clock, and an upstream that issues canary tokens. Secrets are
 * canaries too, so a test can prove that neither ever reaches a log, a metric or an error body.
 */
export const EDGE_CONFIG = {
  credentials: [
    {
      id: 'dap',
      kind: 'identity-service',
      secretId: 'dap-secret',
      baseUrl: 'https://api-gateway.instructure.com',
    },
    {
      id: 'canvas-ui',
      kind: 'canvas-jwt',
      secretId: 'canvas-secret',
      baseUrl: 'https://canvas.example.edu',
      fixedParams: { workflows: ['ui'] },
      callerParams: { contextType: ['Course'], contextId: '*', canvasAudience: '*' },
    },
    { id: 'inst', kind: 'inst-access', secretId: 'canvas-secret', baseUrl: 'https://canvas.example.edu' },
  ],
  callers: [
    { principals: ['arn:aws:iam::111122223333:role/reporting'], credentials: ['dap', 'canvas-ui'] },
    { principals: ['arn:aws:iam::111122223333:user/ops/alice'], credentials: ['dap'] },
    { principals: ['arn:aws:iam::444455556666:role/partner-*'], credentials: ['inst'] },
    { principals: ['arn:aws:iam::111122223333:role/platform-admin'], credentials: ['*'], admin: true },
    { principals: ['lambda-invoke'], credentials: ['dap'] },
  ],
  settings: { refreshJitterMs: 0 },
};

export interface CanaryUpstream extends UpstreamClient {
  readonly issued: string[];
  readonly calls: { mint: number };
  failNext(...errors: BrokerError[]): void;
}

export const makeCanaryUpstream = (clock: FakeClock): CanaryUpstream => {
  const failures: BrokerError[] = [];
  const upstream: CanaryUpstream = {
    issued: [],
    calls: { mint: 0 },
    failNext: (...errors) => {
      failures.push(...errors);
    },
    mint: async (): Promise<IssuedToken> => {
      upstream.calls.mint++;
      const failure = failures.shift();
      if (failure) throw failure;
      const token = makeCanary('token');
      upstream.issued.push(token);
      const issuedAt = clock.now();
      return { token, issuedAt, expiresAt: issuedAt + 3_600_000, readableExpiry: false };
    },
  };
  return upstream;
};

export interface EdgeBroker {
  readonly broker: Broker;
  readonly clock: FakeClock;
  readonly upstream: CanaryUpstream;
  readonly store: TokenStore;
  readonly logger: CapturingLogger;
  readonly metrics: CapturingMetrics;
  /** Every secret value the broker holds; none may ever be output. */
  readonly secrets: readonly string[];
}

/** `config` defaults to EDGE_CONFIG; a test may widen it (e.g. `*` caller parameters). */
export const makeEdgeBroker = (config_: unknown = EDGE_CONFIG): EdgeBroker => {
  const clock = makeFakeClock();
  const upstream = makeCanaryUpstream(clock);
  const store = makeMemoryTokenStore();
  const logger = makeCapturingLogger();
  const metrics = makeCapturingMetrics();
  const clientSecret = makeCanary('secret');
  const accessToken = makeCanary('secret');
  const secrets = makeFakeSecrets({
    'dap-secret': { clientId: 'dap-client', clientSecret },
    'canvas-secret': { accessToken },
  });
  const config = parseBrokerConfig(config_);
  const broker = makeBroker({
    credentials: config.credentials,
    policy: config.policy,
    settings: config.settings,
    store,
    secrets,
    cipher: {
      // Reversible and context-bound, enough for the edge; real ciphers are tested in test/adapters.
      seal: async (plaintext, context) => ({
        keyRef: 'test',
        iv: '',
        tag: JSON.stringify(context),
        ciphertext: Buffer.from(plaintext).reverse().toString('base64'),
      }),
      open: async (envelope) => Buffer.from(envelope.ciphertext, 'base64').reverse().toString(),
    },
    upstreamFor: () => upstream,
    clock,
    random: () => 0.5,
    logger,
    metrics,
    instanceId: 'edge-test',
  });
  return { broker, clock, upstream, store, logger, metrics, secrets: [clientSecret, accessToken] };
};
