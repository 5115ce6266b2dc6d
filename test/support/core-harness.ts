import type { Broker } from '../../shared/core/broker.ts';
import type { BrokerSettings } from '../../shared/core/broker-settings.ts';
import type { CallerPolicy } from '../../shared/core/caller-policy.ts';
import type { Clock } from '../../shared/core/clock.ts';
import type { Caller, CredentialConfig } from '../../shared/core/credential.ts';
import { makeBroker } from '../../shared/core/make-broker.ts';
import type { TokenStore } from '../../shared/core/token-store.ts';
import type { UpstreamClient } from '../../shared/core/upstream-client.ts';
import { makeMemoryTokenStore } from '../doubles/memory-token-store.ts';
import { makeFakeCipher } from './fake-cipher.ts';
import { type FakeSecrets, makeFakeSecrets } from './fake-secrets.ts';

export const ALICE: Caller = { arn: 'arn:aws:iam::111122223333:role/reporting', accountId: '111122223333' };
export const MALLORY: Caller = { arn: 'arn:aws:iam::999988887777:role/other', accountId: '999988887777' };
export const ADMIN: Caller = {
  arn: 'arn:aws:iam::111122223333:role/platform-admin',
  accountId: '111122223333',
};

export const DAP: CredentialConfig = {
  id: 'dap',
  kind: 'identity-service',
  secretId: 'dap-secret',
  baseUrl: 'https://ids.example.test',
  fixedParams: {},
  callerParams: {},
};

export const JWT: CredentialConfig = {
  id: 'canvas-jwt',
  kind: 'canvas-jwt',
  secretId: 'canvas-secret',
  baseUrl: 'https://canvas.example.test',
  fixedParams: { workflows: ['ui'] },
  callerParams: { canvasAudience: '*', contextType: ['Course'], contextId: '*' },
};

export const POLICY: CallerPolicy = {
  rules: [
    { principals: [ALICE.arn], credentials: ['dap', 'canvas-jwt'], admin: false },
    { principals: [ADMIN.arn], credentials: ['*'], admin: true },
  ],
};

export interface InstanceOptions {
  store?: TokenStore;
  clock: Clock;
  upstream: UpstreamClient;
  secrets?: FakeSecrets;
  settings?: Partial<BrokerSettings>;
  instanceId?: string;
  random?: () => number;
}

/** One broker instance (separate memory) over a possibly shared store: what one Lambda instance is. */
export const makeInstance = (
  options: InstanceOptions,
): { broker: Broker; store: TokenStore; secrets: FakeSecrets } => {
  const store = options.store ?? makeMemoryTokenStore();
  const secrets =
    options.secrets ??
    makeFakeSecrets({
      'dap-secret': { clientId: 'id', clientSecret: 's1' },
      'canvas-secret': { accessToken: 'c1' },
    });
  const broker = makeBroker({
    credentials: [DAP, JWT],
    policy: POLICY,
    store,
    secrets,
    cipher: makeFakeCipher(),
    upstreamFor: () => options.upstream,
    clock: options.clock,
    random: options.random ?? (() => 0.5),
    settings: options.settings,
    instanceId: options.instanceId ?? 'i-test',
  });
  return { broker, store, secrets };
};
