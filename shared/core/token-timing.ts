import type { BrokerSettings } from './broker-settings.ts';
import { type CredentialConfig, NOMINAL_LIFETIME_SECONDS } from './credential.ts';
import type { TrueTime } from './true-time.ts';
import type { IssuedToken } from './upstream-client.ts';

export interface Expiring {
  readonly expiresAt: number;
}

/** Round trip and Date-header truncation eat a little of a fresh token's nominal life. */
const FRESH_TOKEN_SLACK_MS = 10_000;

/**
 * The time rules of the lifecycle, in one place. Expiries are on the upstream's timeline (the
 * response `Date` anchors them, response-anchor.ts) and `now` is this instance's true time, so a
 * token is servable while its guaranteed life, expiry minus the latest true time could be
 * (`now + uncertainty`, measured), covers what the caller asked for. An instance that cannot bound
 * its offset has infinite uncertainty and finds nothing servable. Renewal is scheduled against the
 * worst accepted uncertainty (`clockSkewToleranceMs`), so it is the same on every instance.
 */
export interface TokenTiming {
  guaranteedMs(token: Expiring, now: number): number;
  /** When to start renewing: `refreshLeadMs` (± jitter) before the token stops being servable. */
  refreshAt(issued: IssuedToken): number;
  /** The most life a freshly minted token of this credential can be promised. */
  maxGuaranteeMs(credential: CredentialConfig): number;
}

export const makeTokenTiming = (
  settings: BrokerSettings,
  random: () => number,
  time?: Pick<TrueTime, 'uncertaintyMs'>,
): TokenTiming => ({
  guaranteedMs: (token, now) =>
    token.expiresAt - (time ? time.uncertaintyMs() : settings.clockSkewToleranceMs) - now,
  refreshAt: (issued) => {
    const servableUntil = issued.expiresAt - settings.clockSkewToleranceMs;
    const jitter = (random() * 2 - 1) * settings.refreshJitterMs;
    // Short-lived tokens renew at half-life at the latest, so the lead never swallows the whole life.
    const lead = Math.min(settings.refreshLeadMs + jitter, (servableUntil - issued.issuedAt) / 2);
    return Math.floor(servableUntil - Math.max(lead, 0));
  },
  maxGuaranteeMs: (credential) =>
    (credential.lifetimeSeconds ?? NOMINAL_LIFETIME_SECONDS[credential.kind]) * 1000 -
    settings.clockSkewToleranceMs -
    FRESH_TOKEN_SLACK_MS,
});
