import { randomBytes } from 'node:crypto';
import type { Clock } from '../../shared/core/clock.ts';
import type { BrokerError } from '../../shared/core/errors.ts';
import type { IssuedToken, UpstreamClient, UpstreamRequest } from '../../shared/core/upstream-client.ts';

export interface FakeUpstream extends UpstreamClient {
  readonly calls: { mint: number; refresh: number };
  /** Secrets seen by each call, by the `accessToken` or `clientSecret` field. */
  readonly secretsSeen: string[];
  /** The next calls fail with these errors, in order. */
  failNext(...errors: BrokerError[]): void;
  /** Calls block until the returned function is called. */
  pause(): () => void;
  /** Only this secret value is accepted; others fail with the given error. */
  acceptOnly(secretValue: string, rejection: () => BrokerError): void;
  lifetimeMs: number;
}

/** A deterministic stand-in for an Instructure issuer, for core unit tests (integration tests use the simulator). */
export const makeFakeUpstream = (clock: Clock, options: { refreshable?: boolean } = {}): FakeUpstream => {
  const failures: BrokerError[] = [];
  let gate: Promise<void> | undefined;
  let accepted: { value: string; rejection: () => BrokerError } | undefined;
  const upstream: FakeUpstream = {
    calls: { mint: 0, refresh: 0 },
    secretsSeen: [],
    lifetimeMs: 3_600_000,
    failNext: (...errors) => {
      failures.push(...errors);
    },
    pause: () => {
      let release!: () => void;
      gate = new Promise((resolve) => {
        release = resolve;
      });
      return () => {
        gate = undefined;
        release();
      };
    },
    acceptOnly: (value, rejection) => {
      accepted = { value, rejection };
    },
    mint: async (request) => {
      upstream.calls.mint++;
      return issue(request);
    },
  };
  const issue = async (request: UpstreamRequest): Promise<IssuedToken> => {
    const sentAt = clock.now();
    const secretValue = request.secret.fields.accessToken ?? request.secret.fields.clientSecret ?? '';
    upstream.secretsSeen.push(secretValue);
    if (gate) await gate;
    const failure = failures.shift();
    if (failure) throw failure;
    if (accepted && secretValue !== accepted.value) throw accepted.rejection();
    return {
      token: `tok_${randomBytes(24).toString('base64url')}`,
      issuedAt: sentAt,
      expiresAt: sentAt + upstream.lifetimeMs,
      readableExpiry: false,
      ...(options.refreshable ? { refreshableUntil: sentAt + upstream.lifetimeMs + 6 * 3_600_000 } : {}),
    };
  };
  if (options.refreshable) {
    upstream.refresh = async (request) => {
      upstream.calls.refresh++;
      return issue(request);
    };
  }
  return upstream;
};
