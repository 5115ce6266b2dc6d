import { randomUUID } from 'node:crypto';
import type { AnswerCode } from '../core/answer-code.ts';
import { type Broker, INVOKE_CALLER } from '../core/broker.ts';
import { BadRequestError } from '../core/errors.ts';
import { firstRequestId } from '../core/request-id.ts';
import type { Logger } from '../core/telemetry.ts';
import { toPublicError } from './error-table.ts';
import { logFailure } from './log-failure.ts';
import { assertOnlyFields, readCredentialId, readMinTtlSeconds, readParams } from './request-fields.ts';
import { type TokenBody, toTokenBody } from './response-views.ts';

/** The direct-invoke payload: `{ "credentialId", "minTtlSeconds"?, "params"? }`. */
export interface TokenInvokeEvent {
  readonly credentialId: string;
  readonly minTtlSeconds?: number;
  readonly params?: Readonly<Record<string, unknown>>;
}

/**
 * A typed failure, returned rather than thrown: a thrown error would reach the invoker as a Lambda
 * `FunctionError` with a stack trace, and an async invoke would be retried for a 4xx.
 */
export interface TokenInvokeError {
  readonly error: {
    readonly code: AnswerCode;
    readonly message: string;
    readonly requestId: string;
    /** Only when waiting can help (the API's `Retry-After`; invoke has no headers). */
    readonly retryAfterSeconds?: number;
  };
}

export type TokenInvokeResult = TokenBody | TokenInvokeError;

export interface TokenInvokeHandlerDeps {
  readonly broker: Broker;
  readonly logger: Logger;
}

export type TokenInvokeHandler = (
  event: unknown,
  context?: { readonly awsRequestId?: string },
  options?: { readonly signal?: AbortSignal },
) => Promise<TokenInvokeResult>;

/**
 * The token-invoke entry. Lambda passes no caller identity, so every request runs as
 * INVOKE_CALLER (`lambda-invoke`): who may invoke the function is the authorization, and the
 * policy must grant `lambda-invoke` the credentials that path may serve. Input is validated exactly
 * like the API's body; unknown fields are rejected.
 */
export const makeTokenInvokeHandler = (deps: TokenInvokeHandlerDeps): TokenInvokeHandler => {
  const { broker, logger } = deps;
  return async (event, context, options) => {
    const requestId = firstRequestId(context?.awsRequestId) ?? randomUUID();
    let credentialId: string | undefined;
    try {
      if (typeof event !== 'object' || event === null || Array.isArray(event)) {
        throw new BadRequestError(
          'The event must be a JSON object { credentialId, minTtlSeconds?, params? }.',
        );
      }
      const input = event as Record<string, unknown>;
      assertOnlyFields(input, ['credentialId', 'minTtlSeconds', 'params']);
      credentialId = readCredentialId(input.credentialId);
      const served = await broker.getToken(INVOKE_CALLER, {
        credentialId,
        minTtlSeconds: readMinTtlSeconds(input.minTtlSeconds),
        params: readParams(input.params),
        requestId,
        signal: options?.signal,
      });
      return toTokenBody(served);
    } catch (error) {
      const answer = toPublicError(error);
      const fields = { requestId, credentialId, status: answer.status, code: answer.code };
      logFailure(logger, 'invoke', answer, fields, error);
      const body = { code: answer.code, message: answer.message, requestId };
      return {
        error:
          answer.retryAfterSeconds === undefined
            ? body
            : { ...body, retryAfterSeconds: answer.retryAfterSeconds },
      };
    }
  };
};
