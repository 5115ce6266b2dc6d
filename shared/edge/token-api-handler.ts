import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Broker } from '../core/broker.ts';
import type { Caller } from '../core/credential.ts';
import { PolicyDeniedError } from '../core/errors.ts';
import { firstRequestId } from '../core/request-id.ts';
import type { Logger, Metrics } from '../core/telemetry.ts';
import { callerFromRequestContext } from './caller-identity.ts';
import { toPublicError } from './error-table.ts';
import { errorResponse, jsonResponse, jsonTextResponse } from './http-response.ts';
import { MethodNotAllowedError, RouteNotFoundError } from './http-transport-errors.ts';
import { logFailure } from './log-failure.ts';
import { parseJsonBody } from './parse-json-body.ts';
import {
  assertOnlyFields,
  readCredentialId,
  readMinTtlSeconds,
  readParams,
  readTokenSha256,
} from './request-fields.ts';
import { toDetailView, toSummaryView, toTokenBody } from './response-views.ts';
import { matchRoute, type RouteName } from './routes.ts';
import { tokenBodyJson } from './token-body-json.ts';

export interface TokenApiHandlerDeps {
  readonly broker: Broker;
  readonly logger: Logger;
  /** Accepted for symmetry with the other entries; request counts come from API Gateway's own metrics. */
  readonly metrics?: Metrics;
  /**
   * The API id and stage this handler answers (the Lambda entry always sets it; local mode, which
   * builds its own events, does not). Caller identity comes from `requestContext`, which anyone
   * allowed `lambda:InvokeFunction` on this function could forge: an event naming another API or
   * stage is refused with 403 before the broker is touched. The check cannot stop a forger who
   * copies the right id and stage, which is why invoking token-api directly is admin-equivalent
   * (README, "Security") and the construct grants it to API Gateway only.
   */
  readonly api?: { readonly apiId: string; readonly stage: string };
}

export type TokenApiHandler = (
  event: APIGatewayProxyEvent,
  context?: { readonly awsRequestId?: string },
  options?: { readonly signal?: AbortSignal },
) => Promise<APIGatewayProxyResult>;

const requestIdOf = (event: unknown, context: { readonly awsRequestId?: string } | undefined): string => {
  const ctx =
    typeof event === 'object' && event !== null
      ? (event as Record<string, unknown>).requestContext
      : undefined;
  const fromEvent =
    typeof ctx === 'object' && ctx !== null ? (ctx as Record<string, unknown>).requestId : undefined;
  return firstRequestId(fromEvent, context?.awsRequestId) ?? randomUUID();
};

const fromApi = (context: unknown, api: { readonly apiId: string; readonly stage: string }): boolean => {
  if (typeof context !== 'object' || context === null) return false;
  const { apiId, stage } = context as Record<string, unknown>;
  return apiId === api.apiId && stage === api.stage;
};

interface Dispatch {
  readonly route: RouteName;
  readonly caller: Caller;
  readonly credentialId: string;
  readonly body: Readonly<Record<string, unknown>>;
  readonly requestId: string;
  readonly signal: AbortSignal | undefined;
}

const dispatch = async (broker: Broker, d: Dispatch): Promise<APIGatewayProxyResult> => {
  const { caller, credentialId, body } = d;
  switch (d.route) {
    case 'getToken': {
      assertOnlyFields(body, ['minTtlSeconds', 'params']);
      const served = await broker.getToken(caller, {
        credentialId,
        minTtlSeconds: readMinTtlSeconds(body.minTtlSeconds),
        params: readParams(body.params),
        requestId: d.requestId,
        signal: d.signal,
      });
      return jsonTextResponse(200, tokenBodyJson(toTokenBody(served)));
    }
    case 'invalidateToken': {
      // `fingerprint` is named here only so that an old client gets readTokenSha256's explanation.
      assertOnlyFields(body, ['tokenSha256', 'fingerprint', 'params']);
      const tokenSha256 = readTokenSha256(body);
      if (body.fingerprint !== undefined) assertOnlyFields(body, ['tokenSha256', 'params']);
      const params = readParams(body.params);
      return jsonResponse(200, await broker.invalidate(caller, { credentialId, tokenSha256, params }));
    }
    case 'listCredentials':
      return jsonResponse(200, { credentials: (await broker.listCredentials(caller)).map(toSummaryView) });
    case 'describeCredential':
      return jsonResponse(200, toDetailView(await broker.describeCredential(caller, credentialId)));
    case 'refreshCredential':
      return jsonResponse(200, await broker.forceRefresh(caller, credentialId));
    case 'purgeTokens':
      return jsonResponse(200, await broker.purge(caller, credentialId));
  }
};

/**
 * The token API: API Gateway REST proxy event in, response out. It never throws: every failure,
 * expected or not, becomes the error body of ERROR_TABLE, so the Lambda itself never errors on a
 * request and a 5xx never carries internals. The local-mode server wraps exactly this function.
 */
export const makeTokenApiHandler = (deps: TokenApiHandlerDeps): TokenApiHandler => {
  const { broker, logger } = deps;
  return async (event, context, options) => {
    const requestId = requestIdOf(event, context);
    let route: RouteName | undefined;
    let credentialId: string | undefined;
    let caller: Caller | undefined;
    let allow: string | undefined;
    try {
      if (deps.api !== undefined && !fromApi(event?.requestContext, deps.api)) {
        throw new PolicyDeniedError('This function answers only requests through its own API stage.');
      }
      const match = matchRoute(event ?? {});
      if (match.kind === 'not-found') throw new RouteNotFoundError('No such route.');
      if (match.kind === 'method-not-allowed') {
        allow = match.allow.join(', ');
        throw new MethodNotAllowedError(`Method not allowed; use ${allow}.`);
      }
      route = match.route.name;
      caller = callerFromRequestContext(event.requestContext);
      const body = parseJsonBody(event);
      if (!match.route.body) assertOnlyFields(body, []);
      // listCredentials has no id; every other route's id is validated before the core sees it.
      credentialId = route === 'listCredentials' ? '' : readCredentialId(match.rawId);
      return await dispatch(broker, {
        route,
        caller,
        credentialId,
        body,
        requestId,
        signal: options?.signal,
      });
    } catch (error) {
      const answer = toPublicError(error);
      const fields = {
        requestId,
        route,
        credentialId,
        caller: caller?.arn,
        status: answer.status,
        code: answer.code,
      };
      logFailure(logger, 'request', answer, fields, error);
      // RFC 9110: a 405 lists the methods the resource does support.
      return errorResponse(answer, requestId, allow === undefined ? undefined : { Allow: allow });
    }
  };
};
