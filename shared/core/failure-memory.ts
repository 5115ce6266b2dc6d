import { randomUUID } from 'node:crypto';
import type { Clock } from './clock.ts';
import type { Logger, Metrics } from './telemetry.ts';
import type { FailureRecord } from './token-store.ts';
import type { VariantLogFields } from './variant-state.ts';

/**
 * Failure memory's health part, one step of the token lifecycle: the failure record each failed
 * renewal writes (fenced, with the lease it releases), and the unhealthy ↔ healthy transitions it
 * reports. Both ride on that fenced record, so the instance that writes the crossing record is the
 * only one that reports it, however many instances retry.
 */
export interface FailureMemory {
  /**
   * The record after `previous`: the streak start (`since`) carries over while the code repeats,
   * and once the streak outlives `unhealthyAfterMs` the variant is unhealthy until a token is written.
   */
  next(
    previous: FailureRecord | undefined,
    code: FailureRecord['code'],
    holdMs: number,
    count: number,
  ): FailureRecord;
  /** After `failure` was written: one metric, and one WARN line only when it made the variant unhealthy. */
  written(variant: VariantLogFields, previous: FailureRecord | undefined, failure: FailureRecord): void;
  /** A token was written over `failure` (putToken cleared it, fenced): the streak is over. */
  recovered(variant: VariantLogFields, failure: FailureRecord): void;
}

export interface FailureMemoryDeps {
  readonly clock: Clock;
  readonly unhealthyAfterMs: number;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Record ids (default randomUUID): the fence compares them. */
  readonly newId?: () => string;
}

export const makeFailureMemory = ({
  clock,
  unhealthyAfterMs,
  metrics,
  logger,
  newId = randomUUID,
}: FailureMemoryDeps): FailureMemory => ({
  next: (previous, code, holdMs, count) => {
    const at = clock.now();
    const since = previous?.code === code ? (previous.since ?? previous.at) : at;
    const unhealthyAt = previous?.unhealthyAt ?? (at - since >= unhealthyAfterMs ? at : undefined);
    return {
      id: newId(),
      code,
      at,
      holdMs,
      count,
      since,
      ...(unhealthyAt === undefined ? {} : { unhealthyAt }),
    };
  },
  written: (variant, previous, failure) => {
    const unhealthy = failure.unhealthyAt !== undefined;
    metrics.add('CredentialUnhealthy', unhealthy ? 1 : 0, 'Count', { credentialId: variant.credentialId });
    if (unhealthy && previous?.unhealthyAt === undefined) {
      logger.warn('credential unhealthy: upstream keeps failing the same way', {
        ...variant,
        code: failure.code,
        since: failure.since,
        failingForMs: failure.at - (failure.since ?? failure.at),
        count: failure.count,
      });
    }
  },
  recovered: (variant, failure) => {
    metrics.add('CredentialUnhealthy', 0, 'Count', { credentialId: variant.credentialId });
    if (failure.unhealthyAt === undefined) return;
    logger.warn('credential healthy again: a token was issued', {
      ...variant,
      previousCode: failure.code,
      unhealthyForMs: Math.max(0, clock.now() - failure.unhealthyAt),
    });
  },
});
