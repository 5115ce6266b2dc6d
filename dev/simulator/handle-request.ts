import type { IncomingMessage, ServerResponse } from 'node:http';
import { fingerprint } from '../../shared/core/fingerprint.ts';
import { bearerToken, canvasTokenOf, makeCanvasAuthenticator } from './canvas-auth.ts';
import { canvasErrors, hasUserAgent, replyUserAgentRequired } from './canvas-errors.ts';
import { handleControl } from './control-api.ts';
import { replyDapError } from './dap-errors.ts';
import { replyWithFault } from './fault-response.ts';
import { rubyFloat } from './leaky-bucket.ts';
import { readBody } from './read-body.ts';
import { makeReply, type Reply } from './reply.ts';
import { parseFormEncoded, parseParams } from './request-params.ts';
import { matchRoute, type Route, routeScope } from './routes.ts';
import type { SimRequest } from './sim-request.ts';
import type { SimState } from './sim-state.ts';
import type { Introspection } from './simulator-types.ts';
import type { TimerSet } from './timer-set.ts';

/** Every Canvas request costs this much beyond its up-front reservation (real Canvas: CPU + DB time). */
export const BASE_REQUEST_COST = 0.05;

export interface RequestHandlerDeps {
  readonly state: SimState;
  readonly timers: TimerSet;
  readonly maxBodyBytes: number;
  readonly url: () => string;
  /** `host:port` for the `domain` claim when a request carries no Host header. */
  readonly fallbackHost: () => string;
  readonly introspect: (token: string) => Promise<Introspection>;
}

type Area = Route['area'];

const notFound = (reply: Reply, area: Area): void =>
  area === 'dap' ? replyDapError(reply, 404, 'NotFound', 'Not Found') : canvasErrors.notFound(reply);

/** Canvas meters the token a request presents (header or query), else the client address. */
const throttleKey = (req: IncomingMessage, query: string): string => {
  const token = bearerToken(req.headers.authorization) ?? queryAccessToken(query);
  return token ? `token:${fingerprint(token)}` : `ip:${req.socket.remoteAddress ?? 'unknown'}`;
};

const queryAccessToken = (query: string): string | undefined => {
  const value = parseFormEncoded(query)?.access_token;
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/**
 * The request pipeline. For an upstream endpoint: count the call, apply an injected fault,
 * require User-Agent, throttle (Canvas), read and parse the body, authenticate (Canvas), check
 * token scopes, then run the handler. Nothing a client sends can crash it: any unexpected
 * error becomes a 500 in the area's error shape.
 */
export const makeRequestHandler = (deps: RequestHandlerDeps) => {
  const { state, timers } = deps;
  const authenticate = makeCanvasAuthenticator(state);

  const handle = async (
    req: IncomingMessage,
    res: ServerResponse,
    reply: Reply,
    setArea: (a: Area) => void,
  ) => {
    const rawUrl = req.url ?? '/';
    const queryAt = rawUrl.indexOf('?');
    let path = queryAt === -1 ? rawUrl : rawUrl.slice(0, queryAt);
    const query = queryAt === -1 ? '' : rawUrl.slice(queryAt + 1);
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const method = (req.method ?? 'GET').toUpperCase();

    if (path === '/__sim' || path.startsWith('/__sim/')) {
      const body = await readBody(req, deps.maxBodyBytes);
      if (!body.ok) {
        if (body.reason === 'too-large')
          reply.json(413, { error: 'body too large' }, { connection: 'close' });
        return;
      }
      return handleControl(method, path, body.body, reply, {
        state,
        url: deps.url,
        introspect: deps.introspect,
      });
    }

    const match = matchRoute(method, path);
    const area: Area = match?.route.area ?? (/^\/(ids|dap)(\/|$)/.test(path) ? 'dap' : 'canvas');
    setArea(area);
    if (!match) return notFound(reply, area);
    const { route, routeParams } = match;

    const fault = state.faults.take(route.endpoint ? [route.name, route.endpoint] : [route.name]);
    if (fault?.kind === 'reset') {
      // The request never reached Canvas (a keep-alive socket the far side had already closed):
      // an RST, nothing counted, nothing minted.
      req.socket.resetAndDestroy();
      return;
    }
    if (route.endpoint) state.stats[route.endpoint] += 1;
    state.routeStats[route.name] += 1;
    if (fault?.kind === 'hang') return;
    if (fault?.kind === 'delay' || fault?.kind === 'late') {
      let closed = false;
      res.once('close', () => {
        closed = true;
      });
      const wait = timers.sleep(fault.delayMs ?? 0).then((completed) => completed && !closed);
      if (fault.kind === 'late') reply.holdUntil(wait);
      else if (!(await wait)) return;
    } else if (fault?.kind === 'truncated') {
      reply.truncate();
    } else if (fault) {
      return replyWithFault(reply, area, route.name, fault, state.clock.now);
    }

    if (!hasUserAgent(req.headers['user-agent'])) return replyUserAgentRequired(reply);

    let cost = BASE_REQUEST_COST;
    if (area === 'canvas') {
      const reservation = state.buckets.reserve(throttleKey(req, query));
      if (!reservation) return canvasErrors.rateLimited(reply);
      reply.onSend((headers) => {
        const settled = reservation.settle(cost);
        headers['x-request-cost'] = rubyFloat(settled.cost);
        headers['x-rate-limit-remaining'] = rubyFloat(settled.remaining);
      });
      res.once('close', () => reservation.release());
    }

    const body = await readBody(req, deps.maxBodyBytes);
    if (!body.ok) {
      if (body.reason === 'aborted') return;
      return area === 'dap'
        ? replyDapError(reply, 413, 'PayloadTooLarge', 'Request body too large.', { connection: 'close' })
        : canvasErrors.payloadTooLarge(reply);
    }
    const contentType = req.headers['content-type'];
    const parsed = parseParams(query, body.body, contentType);
    if (!parsed.ok) {
      return area === 'dap'
        ? replyDapError(reply, 400, 'ValidationError', 'The request could not be parsed.')
        : canvasErrors.badRequest(reply, 'The request could not be parsed.');
    }
    const host = req.headers.host ?? deps.fallbackHost();
    const simRequest: SimRequest = {
      method,
      path,
      query,
      headers: req.headers,
      host,
      origin: `http://${host}`,
      routeParams,
      params: parsed.params,
      body: body.body,
      contentType,
      charge: (units) => {
        cost += units;
      },
    };

    if (route.area === 'dap' || route.auth === 'none') return route.handle(simRequest, reply, state);

    const auth = await authenticate(canvasTokenOf(req.headers, parsed.params));
    if (auth.kind === 'none') return canvasErrors.unauthenticated(reply);
    if (auth.kind === 'invalid') return canvasErrors.invalidToken(reply);
    if (
      auth.kind === 'access-token' &&
      auth.token.scopes.length > 0 &&
      !auth.token.scopes.includes(routeScope(route))
    ) {
      return canvasErrors.insufficientScopes(reply);
    }
    return route.handle(simRequest, auth, reply, state);
  };

  return (req: IncomingMessage, res: ServerResponse): void => {
    const reply = makeReply(res, state.clock.now);
    let area: Area = 'canvas';
    handle(req, res, reply, (a) => {
      area = a;
    }).catch(() => {
      if (reply.sent) return;
      if (area === 'dap') replyDapError(reply, 500, 'ServerError', 'Internal Server Error');
      else canvasErrors.internal(reply);
    });
  };
};
