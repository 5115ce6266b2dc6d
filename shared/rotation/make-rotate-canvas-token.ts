import type { Clock } from '../core/clock.ts';
import { BadRequestError, ConfigInvalidError, isBrokerError, SecretNotFoundError } from '../core/errors.ts';
import type { RotationCanvas, RotationCanvasSession, RotationCanvasToken } from '../core/rotation-canvas.ts';
import { type RotationSecretStore, type SecretDescription, STAGE } from '../core/rotation-secret-store.ts';
import { type Logger, type Metrics, noopLogger, noopMetrics } from '../core/telemetry.ts';
import {
  type CanvasRotationSecret,
  readCanvasRotationSecret,
  writeCanvasRotationSecret,
} from './canvas-rotation-secret.ts';
import { parseRotationEvent } from './rotation-event.ts';
import { rotationFailure } from './rotation-failure.ts';
import { rotationPurposePrefix } from './rotation-purpose.ts';

export interface RotateCanvasTokenDeps {
  readonly secrets: RotationSecretStore;
  readonly canvas: RotationCanvas;
  /** The Canvas the token belongs to; only its host is used here, to say in logs what was rotated. */
  readonly canvasBaseUrl: string;
  /** Lifetime of each new token. The next rotation must come well before it runs out. */
  readonly tokenExpiryDays: number;
  readonly clock: Clock;
  readonly logger?: Logger;
  /**
   * The rotation schedule's interval. With it, a new token whose `expires_at` (as Canvas stored
   * it, after any site token policy clamp) comes before the next scheduled rotation plus
   * `expiryMarginDays` is reported (ERROR log; the remaining-life metric alarms on it).
   */
  readonly rotateEveryDays?: number;
  /** Defaults to 3 days. */
  readonly expiryMarginDays?: number;
  /** `CanvasTokenRemainingLife` (seconds) and `CanvasTokenLeftBehind` (count, by state). */
  readonly metrics?: Metrics;
}

export interface RotateCanvasToken {
  /** Runs one step of a Secrets Manager rotation event; every step is safe to run again. */
  rotate(event: unknown, signal?: AbortSignal): Promise<void>;
}

const DAY_MS = 86_400_000;
const MAX_EXPIRY_DAYS = 3650;
const DEFAULT_EXPIRY_MARGIN_DAYS = 3;
/** Canvas stores whole seconds: an expiry this much short of what was asked is a policy clamp. */
const CLAMP_TOLERANCE_MS = 60_000;

/** The 5-character hint Canvas accepts in place of an id: the first characters of the secret. */
const hintOf = (accessToken: string): string => accessToken.slice(0, 5);

/** Canvas' answer for a token that is not there (any more): deleting it again is already done. */
const isGone = (error: unknown): boolean => isBrokerError(error) && error.upstreamStatus === 404;

/** Canvas refused the request itself (a token policy, a permission), not the token: 401/403. */
const isRefused = (error: unknown): boolean =>
  isBrokerError(error) && !error.retryable && (error.upstreamStatus === 401 || error.upstreamStatus === 403);

const PENDING_NOTE =
  'a pending token cannot be deleted through the Access Tokens API (Canvas looks up only active tokens, so DELETE answers 404): its user must activate or delete it in Canvas, or an admin delete it';

interface StepContext {
  readonly arn: string;
  readonly token: string;
  readonly description: SecretDescription;
  readonly signal: AbortSignal | undefined;
  readonly log: Record<string, string>;
}

/**
 * Rotates the broker's own Canvas access token through Secrets Manager rotation (the four steps of
 * the official rotation template):
 *
 * - createSecret: removes tokens an earlier run created but never stored, creates a new token with
 *   the current one and stores it as AWSPENDING under the ClientRequestToken.
 * - setSecret: nothing to set (Canvas made the token); checks the pending value exists.
 * - testSecret: a real Canvas call with the pending token.
 * - finishSecret: checks the new token still works, moves AWSCURRENT to it, and only then deletes
 *   the previous token (with the new one), so there is never a moment without a working current
 *   token.
 *
 * A crash anywhere leaves state the same step or the next rotation repairs. A token's secret is
 * only visible in the response that created it, so a created-but-unstored token cannot be
 * recovered: it is found by its purpose and deleted instead. Logs carry token ids, never a token or
 * its hint (the hint is the token's first characters).
 */
export const makeRotateCanvasToken = (deps: RotateCanvasTokenDeps): RotateCanvasToken => {
  const { secrets, canvas, clock } = deps;
  const logger = deps.logger ?? noopLogger;
  const metrics = deps.metrics ?? noopMetrics;
  const marginDays = deps.expiryMarginDays ?? DEFAULT_EXPIRY_MARGIN_DAYS;
  if (
    !Number.isInteger(deps.tokenExpiryDays) ||
    deps.tokenExpiryDays < 1 ||
    deps.tokenExpiryDays > MAX_EXPIRY_DAYS
  ) {
    throw new ConfigInvalidError(
      `The rotated token's expiry must be a whole number of days from 1 to ${MAX_EXPIRY_DAYS}.`,
    );
  }
  const canvasHost = new URL(deps.canvasBaseUrl).host;

  const readVersion = async (
    ctx: StepContext,
    query: { versionId?: string; stage: string },
  ): Promise<CanvasRotationSecret | undefined> => {
    const stored = await secrets.getValue(ctx.arn, query, ctx.signal);
    return stored && readCanvasRotationSecret(ctx.arn, stored.versionId, stored.secretString);
  };

  const requireVersion = async (
    ctx: StepContext,
    query: { versionId?: string; stage: string },
    why: string,
  ): Promise<CanvasRotationSecret> => {
    const value = await readVersion(ctx, query);
    if (value) return value;
    const version = query.versionId ?? query.stage;
    throw new SecretNotFoundError(`Secret ${ctx.arn} version ${version} holds no value: ${why}`, {
      details: { ...ctx.log, stage: query.stage },
    });
  };

  const readPending = (ctx: StepContext) =>
    requireVersion(ctx, { versionId: ctx.token, stage: STAGE.pending }, 'createSecret has not completed.');

  const versionWith = (description: SecretDescription, stage: string): string | undefined =>
    Object.entries(description.versions).find(([, stages]) => stages.includes(stage))?.[0];

  /**
   * Deletes a token; resolves false (after a warning) when that failed, so cleanup never hides the
   * real error. `tokenId` is what logs name it by: never the hint, which `idOrHint` may be.
   */
  const discard = async (
    ctx: StepContext,
    session: RotationCanvasSession,
    userId: string,
    idOrHint: string,
    why: string,
    tokenId = idOrHint,
  ): Promise<boolean> => {
    try {
      await session.deleteToken(userId, idOrHint, ctx.signal);
      logger.info('Canvas token deleted', { ...ctx.log, tokenId, reason: why });
      return true;
    } catch (error) {
      if (isGone(error)) return true;
      logger.warn('Canvas token could not be deleted; the next rotation removes it', {
        ...ctx.log,
        tokenId,
        reason: why,
        code: isBrokerError(error) ? error.code : 'INTERNAL',
      });
      return false;
    }
  };

  /**
   * Tries to delete a PENDING token. Unlike an active one, a 404 does not mean it is gone: real
   * Canvas cannot find pending tokens (TokensController#find_token searches the user's active
   * tokens only), so the token stays behind. Resolves true only when Canvas deleted it.
   */
  const discardPending = async (
    ctx: StepContext,
    session: RotationCanvasSession,
    userId: string,
    tokenId: string,
    why: string,
  ): Promise<boolean> => {
    try {
      await session.deleteToken(userId, tokenId, ctx.signal);
      logger.info('pending Canvas token deleted', { ...ctx.log, tokenId, reason: why });
      return true;
    } catch (error) {
      metrics.add('CanvasTokenLeftBehind', 1, 'Count', { state: 'pending' });
      logger.error('pending Canvas token left behind', {
        ...ctx.log,
        tokenId,
        reason: why,
        code: isBrokerError(error) ? error.code : 'INTERNAL',
        note: PENDING_NOTE,
      });
      return false;
    }
  };

  /**
   * Deletes tokens this secret's rotation created that no stored version refers to: left by a run
   * that died between creating a token and storing it, or by an abandoned rotation whose version
   * has since lost its label. A labelled version's token is kept whatever its state, so a
   * rotation in progress is never undercut.
   */
  const removeOrphans = async (
    ctx: StepContext,
    current: CanvasRotationSecret,
    session: RotationCanvasSession,
  ) => {
    const keptIds = new Set<string>();
    const keptHints = new Set<string>();
    const keep = (value: CanvasRotationSecret) => {
      if (value.tokenId !== undefined) keptIds.add(value.tokenId);
      else keptHints.add(hintOf(value.accessToken));
    };
    keep(current);
    for (const [versionId, stages] of Object.entries(ctx.description.versions)) {
      if (versionId === current.versionId || stages[0] === undefined) continue;
      try {
        const value = await readVersion(ctx, { versionId, stage: stages[0] });
        if (value) keep(value);
      } catch (error) {
        // A hand-edited old version that no longer parses refers to no token this code could match.
        if (!isBrokerError(error) || error.code !== 'SECRET_MALFORMED') throw error;
      }
    }
    let tokens: RotationCanvasToken[];
    try {
      tokens = await session.listTokens(current.userId, ctx.signal);
    } catch (error) {
      throw rotationFailure(
        `Rotation of secret ${ctx.arn} could not list the Canvas user's tokens; nothing was created and AWSCURRENT is unchanged`,
        error,
        ctx.log,
      );
    }
    const prefix = rotationPurposePrefix(ctx.arn);
    const orphans = tokens.filter(
      (t) =>
        t.purpose?.startsWith(prefix) === true &&
        t.workflowState !== 'deleted' &&
        !keptIds.has(t.id) &&
        (t.tokenHint === null || !keptHints.has(t.tokenHint)),
    );
    const leftBehind: string[] = [];
    for (const orphan of orphans) {
      if (orphan.workflowState === 'pending') {
        if (
          !(await discardPending(ctx, session, current.userId, orphan.id, 'pending orphan of an earlier run'))
        )
          leftBehind.push(orphan.id);
      } else await discard(ctx, session, current.userId, orphan.id, 'orphan of an earlier run');
    }
    if (leftBehind.length > 0) {
      // Creating another would only leave another pending token behind: stop until a person acts.
      throw new BadRequestError(
        `Rotation of secret ${ctx.arn} stopped: Canvas token(s) ${leftBehind.join(', ')} of this secret are pending and ${PENDING_NOTE}. No new token is created while one is pending; AWSCURRENT is unchanged.`,
        { details: { ...ctx.log, pendingTokenIds: leftBehind.join(',') } },
      );
    }
  };

  /** The token id the pending version of this rotation holds, if it holds a value. */
  const storedTokenId = async (ctx: StepContext): Promise<string | undefined> =>
    (await readVersion(ctx, { versionId: ctx.token, stage: STAGE.pending }))?.tokenId;

  /**
   * Reads the `expires_at` Canvas actually stored: a site token policy can clamp it far below what
   * was asked (AccessToken#set_permanent_expiration in canvas-lms). Publishes the remaining life,
   * and reports a token that runs out before the next scheduled rotation plus the margin.
   *
   * Decision: such a token is KEPT, not refused. It is the newest token this Canvas will issue
   * under its policy (refusing it keeps the older one, clamped by the same policy, which expires
   * sooner); its expiry goes into the secret (`expiresAt`) so the remaining-life metric and its
   * alarm, and an expiry check, can bring the next rotation forward.
   * Returns the ISO expiry to store (null: never expires), undefined when Canvas did not say.
   */
  const checkGrantedExpiry = (
    ctx: StepContext,
    created: RotationCanvasToken,
    asked: Date,
  ): string | null | undefined => {
    if (created.expiresAt === undefined) return undefined;
    if (created.expiresAt === null) return null;
    const granted = Date.parse(created.expiresAt);
    if (Number.isNaN(granted)) return undefined;
    const now = clock.now();
    const log = { ...ctx.log, tokenId: created.id, expiresAt: new Date(granted).toISOString() };
    metrics.add('CanvasTokenRemainingLife', Math.max(0, Math.floor((granted - now) / 1000)), 'Seconds');
    if (granted < asked.getTime() - CLAMP_TOLERANCE_MS) {
      logger.warn("Canvas shortened the new token's expiry (a site token policy)", {
        ...log,
        askedExpiresAt: asked.toISOString(),
      });
    }
    if (deps.rotateEveryDays !== undefined) {
      const needed = now + (deps.rotateEveryDays + marginDays) * DAY_MS;
      if (granted < needed) {
        logger.error('new Canvas token expires before the next scheduled rotation', {
          ...log,
          rotateEveryDays: deps.rotateEveryDays,
          expiryMarginDays: marginDays,
          note: 'the token is kept (it is the newest the policy allows); rotate earlier than its expiry: shorten the rotation schedule, or rotate now when the remaining-life alarm fires',
        });
      }
    }
    return new Date(granted).toISOString();
  };

  const createSecret = async (ctx: StepContext): Promise<void> => {
    const current = await requireVersion(ctx, { stage: STAGE.current }, 'the secret has no current value.');
    if (await readVersion(ctx, { versionId: ctx.token, stage: STAGE.pending })) {
      logger.info('pending version already holds a token', ctx.log);
      return;
    }
    const session = canvas(current.accessToken);
    await removeOrphans(ctx, current, session);

    const expiresAt = new Date(clock.now() + deps.tokenExpiryDays * DAY_MS);
    let created: RotationCanvasToken;
    try {
      created = await session.createToken(
        current.userId,
        { purpose: `${rotationPurposePrefix(ctx.arn)}${ctx.token}`, expiresAt },
        ctx.signal,
      );
    } catch (error) {
      throw rotationFailure(
        isRefused(error)
          ? `Canvas refused to create a new access token for secret ${ctx.arn} (its token policy or the user's permissions: institutions may limit personal access token creation to admins); nothing was created and AWSCURRENT is unchanged`
          : `Canvas did not create a new access token for secret ${ctx.arn}; AWSCURRENT is unchanged`,
        error,
        ctx.log,
      );
    }
    const log = { ...ctx.log, tokenId: created.id };
    if (created.secret === undefined || created.workflowState !== 'active') {
      // A pending token (created for another user) cannot authenticate until that user acts.
      const deleted =
        created.workflowState === 'pending'
          ? await discardPending(ctx, session, current.userId, created.id, 'unusable new token')
          : await discard(ctx, session, current.userId, created.id, 'unusable new token');
      throw new BadRequestError(
        `Canvas created token ${created.id} for secret ${ctx.arn} in state "${created.workflowState}", not "active": the secret's userId must be the token's own user. ${
          deleted ? 'It was deleted' : `It was left behind: ${PENDING_NOTE}`
        }; AWSCURRENT is unchanged.`,
        { details: log },
      );
    }
    const grantedExpiry = checkGrantedExpiry(ctx, created, expiresAt);
    const next = writeCanvasRotationSecret(current, {
      accessToken: created.secret,
      tokenId: created.id,
      ...(grantedExpiry === undefined ? {} : { expiresAt: grantedExpiry }),
    });
    let outcome: Awaited<ReturnType<RotationSecretStore['putPending']>>;
    try {
      outcome = await secrets.putPending(ctx.arn, ctx.token, next, ctx.signal);
    } catch (error) {
      // The write may have landed even though the call failed (a lost response): deleting a token
      // the pending version now holds would spend the version. Delete only what is surely unstored.
      const stored = await storedTokenId(ctx).catch(() => 'unknown' as const);
      if (stored === created.id) {
        logger.info('new Canvas token stored as AWSPENDING (the failed call had landed)', log);
        return;
      }
      const deleted =
        stored !== 'unknown' &&
        (await discard(ctx, session, current.userId, created.id, 'could not be stored'));
      throw rotationFailure(
        `The new Canvas token for secret ${ctx.arn} could not be stored as AWSPENDING (${
          deleted ? 'it was deleted' : 'the next run deletes it'
        }); AWSCURRENT is unchanged`,
        error,
        log,
      );
    }
    if (outcome === 'version-exists') {
      // Another run of this step stored its token first: that one is the pending token, ours is surplus.
      await discard(ctx, session, current.userId, created.id, 'another run stored its token first');
      logger.info('pending version was stored by another run', log);
      return;
    }
    logger.info('new Canvas token stored as AWSPENDING', {
      ...log,
      expiresAt: grantedExpiry ?? expiresAt.toISOString(),
    });
  };

  const setSecret = async (ctx: StepContext): Promise<void> => {
    await readPending(ctx);
    logger.info('nothing to set: Canvas created the token in createSecret', ctx.log);
  };

  const testSecret = async (ctx: StepContext): Promise<void> => {
    const pending = await readPending(ctx);
    const log = { ...ctx.log, tokenId: pending.tokenId ?? 'unknown' };
    try {
      await canvas(pending.accessToken).whoami(ctx.signal);
    } catch (error) {
      if (isBrokerError(error) && error.retryable) {
        // Canvas was busy or unreachable, which says nothing about the token: keep it, so Secrets
        // Manager's retry of this step can pass. If the rotation is abandoned instead, the token
        // becomes an orphan once its version loses AWSPENDING, and the next createSecret deletes it.
        throw rotationFailure(
          `The new Canvas token for secret ${ctx.arn} could not be tested (kept for a retry); AWSCURRENT is unchanged`,
          error,
          log,
        );
      }
      const current = await requireVersion(ctx, { stage: STAGE.current }, 'the secret has no current value.');
      // Only by id: a 5-character hint can name another token of the same user.
      const deleted =
        pending.tokenId !== undefined &&
        (await discard(ctx, canvas(current.accessToken), pending.userId, pending.tokenId, 'failed its test'));
      throw rotationFailure(
        `The new Canvas token for secret ${ctx.arn} failed its test call (GET /api/v1/users/self) and ${
          deleted ? 'was deleted' : 'could not be deleted yet'
        }; AWSCURRENT is unchanged. Version ${ctx.token} cannot become current: remove its AWSPENDING label and rotate again`,
        error,
        log,
      );
    }
    logger.info('new Canvas token authenticated a test call', log);
  };

  /**
   * The id of the token a version without `tokenId` (a secret set up by hand) holds, or why there
   * is none to delete. Canvas would take the 5-character hint in place of an id, but its
   * TokensController#find_token does `find_by(token_hint:)`: ANY of the user's tokens starting
   * with those characters (the new one included). So the hint is only used to find candidates,
   * and a token is deleted only when it is identified uniquely: the old token must still
   * authenticate (else it is already revoked or expired, and a token sharing its hint is someone
   * else's), and exactly one live token other than the new one may carry its hint.
   */
  const identifyPrevious = async (
    ctx: StepContext,
    previous: CanvasRotationSecret,
    next: CanvasRotationSecret,
  ): Promise<{ id: string } | { none: 'revoked' | 'ambiguous'; candidates: number }> => {
    if (previous.tokenId !== undefined) return { id: previous.tokenId };
    try {
      await canvas(previous.accessToken).whoami(ctx.signal);
    } catch (error) {
      if (isBrokerError(error) && error.upstreamStatus === 401) return { none: 'revoked', candidates: 0 };
      throw error;
    }
    const hint = hintOf(previous.accessToken);
    const candidates = (await canvas(next.accessToken).listTokens(previous.userId, ctx.signal)).filter(
      (t) => t.workflowState !== 'deleted' && t.tokenHint === hint && t.id !== next.tokenId,
    );
    const [only] = candidates;
    return candidates.length === 1 && only
      ? { id: only.id }
      : { none: 'ambiguous', candidates: candidates.length };
  };

  /**
   * Deletes the token AWSCURRENT held before, authenticated with the new one (which also proves the
   * new one can manage tokens). A 404 means an earlier run already did. A token that cannot be
   * identified uniquely is never deleted: it is reported, and the rotation still succeeds (AWSCURRENT
   * holds a working token).
   */
  const retirePrevious = async (
    ctx: StepContext,
    previous: CanvasRotationSecret,
    next: CanvasRotationSecret,
  ) => {
    if (previous.accessToken === next.accessToken) return;
    if (previous.tokenId !== undefined && previous.tokenId === next.tokenId) return;
    const fail = (error: unknown, tokenId: string) =>
      rotationFailure(
        `AWSCURRENT of secret ${ctx.arn} holds the new token, but the previous Canvas token could not be deleted (a retry of finishSecret deletes it)`,
        error,
        { ...ctx.log, tokenId, previousVersionId: previous.versionId },
      );
    let target: Awaited<ReturnType<typeof identifyPrevious>>;
    try {
      target = await identifyPrevious(ctx, previous, next);
    } catch (error) {
      throw fail(error, 'unknown');
    }
    if (!('id' in target)) {
      if (target.none === 'ambiguous') {
        metrics.add('CanvasTokenLeftBehind', 1, 'Count', { state: 'unidentified' });
        logger.error('previous Canvas token not deleted: it cannot be identified uniquely', {
          ...ctx.log,
          previousVersionId: previous.versionId,
          candidates: target.candidates,
          note: 'the previous version has no tokenId and its 5-character hint matches no or several tokens; delete it by hand in Canvas',
        });
      } else {
        logger.info('previous Canvas token no longer authenticates: nothing to delete', {
          ...ctx.log,
          previousVersionId: previous.versionId,
        });
      }
      return;
    }
    try {
      await canvas(next.accessToken).deleteToken(previous.userId, target.id, ctx.signal);
      logger.info('previous Canvas token deleted', {
        ...ctx.log,
        tokenId: target.id,
        previousVersionId: previous.versionId,
      });
    } catch (error) {
      if (isGone(error)) return;
      throw fail(error, target.id);
    }
  };

  const finishSecret = async (ctx: StepContext): Promise<void> => {
    const currentVersionId = versionWith(ctx.description, STAGE.current);
    if (currentVersionId === undefined) {
      throw new SecretNotFoundError(`Secret ${ctx.arn} has no AWSCURRENT version.`, { details: ctx.log });
    }
    const pending = await readPending(ctx);
    const previous = await requireVersion(
      ctx,
      { versionId: currentVersionId, stage: STAGE.current },
      'the secret has no current value.',
    );
    // testSecret passed before Secrets Manager calls this step, but a version whose token has since
    // been deleted (a failed test, by hand) must never become current: one more call makes sure.
    try {
      await canvas(pending.accessToken).whoami(ctx.signal);
    } catch (error) {
      throw rotationFailure(
        `The new Canvas token for secret ${ctx.arn} no longer authenticates, so it was not promoted; AWSCURRENT is unchanged`,
        error,
        { ...ctx.log, tokenId: pending.tokenId ?? 'unknown' },
      );
    }
    await secrets.promote(ctx.arn, ctx.token, currentVersionId, ctx.signal);
    logger.info('AWSCURRENT moved to the new version', { ...ctx.log, previousVersionId: currentVersionId });
    await retirePrevious(ctx, previous, pending);
  };

  /** finishSecret again after promotion (a retry, or a run that died before deleting the old token). */
  const finishAgain = async (ctx: StepContext): Promise<void> => {
    const previousVersionId = versionWith(ctx.description, STAGE.previous);
    if (previousVersionId === undefined || previousVersionId === ctx.token) return;
    const previous = await readVersion(ctx, { versionId: previousVersionId, stage: STAGE.previous });
    const current = await readVersion(ctx, { versionId: ctx.token, stage: STAGE.current });
    if (previous && current) await retirePrevious(ctx, previous, current);
  };

  return {
    async rotate(rawEvent, signal) {
      const event = parseRotationEvent(rawEvent);
      const token = event.ClientRequestToken;
      const description = await secrets.describe(event.SecretId, signal);
      const arn = description.arn;
      const log = { secretId: arn, versionId: token, step: event.Step, canvasHost };
      if (!description.rotationEnabled) {
        throw new ConfigInvalidError(`Secret ${arn} is not enabled for rotation.`, { details: log });
      }
      const stages = description.versions[token];
      if (stages === undefined) {
        throw new BadRequestError(`Secret ${arn} has no version ${token} to rotate to.`, { details: log });
      }
      const ctx: StepContext = { arn, token, description, signal, log };
      if (stages.includes(STAGE.current)) {
        logger.info('version is already AWSCURRENT', log);
        if (event.Step === 'finishSecret') await finishAgain(ctx);
        return;
      }
      if (!stages.includes(STAGE.pending)) {
        throw new BadRequestError(`Secret ${arn} version ${token} is not labelled AWSPENDING.`, {
          details: log,
        });
      }
      logger.info('rotation step started', log);
      switch (event.Step) {
        case 'createSecret':
          return createSecret(ctx);
        case 'setSecret':
          return setSecret(ctx);
        case 'testSecret':
          return testSecret(ctx);
        case 'finishSecret':
          return finishSecret(ctx);
      }
    },
  };
};
