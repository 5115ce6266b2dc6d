import type { JWK } from 'jose';
import { parseFaultSpec } from './fault-spec.ts';
import { type LtiDeveloperKey, simulatedClientId } from './lti-token-state.ts';
import type { Reply } from './reply.ts';
import { parseDeployment } from './sim-deployment.ts';
import type { SimState } from './sim-state.ts';
import { SEED_USER_ID } from './sim-state.ts';
import type { Introspection } from './simulator-types.ts';

export interface ControlDeps {
  readonly state: SimState;
  readonly url: () => string;
  readonly introspect: (token: string) => Promise<Introspection>;
}

const MAX_OFFSET_SECONDS = 10 * 365 * 24 * 3600;

const jsonBody = (body: Buffer): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false };
  }
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const refuse = (reply: Reply, message: string): void => reply.json(400, { error: message });

const isStringList = (value: unknown): value is string[] =>
  Array.isArray(value) && value.length > 0 && value.every((s) => typeof s === 'string' && s !== '');

/** `{clientId?, scopes, publicJwk? | publicJwkUrl?, active?}`; a missing client id gets a fresh one. */
const parseLtiKey = (value: unknown): LtiDeveloperKey | string => {
  if (!isObject(value)) return 'body must be an object';
  const { clientId = simulatedClientId(), scopes, publicJwk, publicJwkUrl, active } = value;
  if (typeof clientId !== 'string' || !/^\d{1,20}$/.test(clientId)) return 'clientId must be digits';
  if (!isStringList(scopes)) return 'scopes must be a non-empty array of strings';
  if ((publicJwk === undefined) === (publicJwkUrl === undefined)) return 'give publicJwk or publicJwkUrl';
  if (publicJwk !== undefined && !isObject(publicJwk)) return 'publicJwk must be a JWK object';
  if (publicJwkUrl !== undefined && (typeof publicJwkUrl !== 'string' || !URL.canParse(publicJwkUrl)))
    return 'publicJwkUrl must be a URL';
  if (active !== undefined && typeof active !== 'boolean') return 'active must be a boolean';
  return {
    clientId,
    scopes,
    ...(publicJwk === undefined ? {} : { publicJwk: publicJwk as JWK }),
    ...(publicJwkUrl === undefined ? {} : { publicJwkUrl: publicJwkUrl as string }),
    ...(active === undefined ? {} : { active }),
  };
};

/**
 * The `/__sim/*` control API: stats, faults, rotation, clock skew, reset and introspection.
 * Never throttled, counted or faulted, so tests can always steer the simulator.
 */
export const handleControl = async (
  method: string,
  path: string,
  body: Buffer,
  reply: Reply,
  deps: ControlDeps,
): Promise<void> => {
  const { state } = deps;
  const route = `${method} ${path}`;
  switch (route) {
    case 'GET /__sim/stats':
      return reply.json(200, {
        calls: { ...state.stats },
        routes: { ...state.routeStats },
        lti: { ...state.lti.counts },
      });
    case 'GET /__sim/deployment':
      return reply.json(200, state.deployment());
    case 'POST /__sim/deployment': {
      const parsed = jsonBody(body);
      if (!parsed.ok) return refuse(reply, 'body must be JSON');
      const changes = parseDeployment(parsed.value);
      if (typeof changes === 'string') return refuse(reply, changes);
      return reply.json(200, state.setDeployment(changes));
    }
    case 'POST /__sim/access-tokens': {
      // Plants a token as an admin, a masquerading session or another run would have left it.
      const parsed = jsonBody(body);
      const input = parsed.ok && isObject(parsed.value) ? parsed.value : undefined;
      const userId = input?.userId ?? SEED_USER_ID;
      const { purpose, workflowState = 'active', sameHintAs } = input ?? {};
      if (
        !input ||
        Object.keys(input).some(
          (key) => !['userId', 'purpose', 'workflowState', 'sameHintAs'].includes(key),
        ) ||
        typeof userId !== 'number' ||
        !state.directory.findUser(userId) ||
        typeof purpose !== 'string' ||
        (workflowState !== 'active' && workflowState !== 'pending') ||
        (sameHintAs !== undefined && (typeof sameHintAs !== 'string' || sameHintAs.length < 5))
      ) {
        return refuse(
          reply,
          'body must be {"purpose": string, "userId"?: known user id, "workflowState"?: "active" | "pending", "sameHintAs"?: token}',
        );
      }
      const record = state.accessTokens.create({
        userId,
        purpose,
        expiresAt: null,
        scopes: [],
        pending: workflowState === 'pending',
        ...(sameHintAs === undefined ? {} : { secretPrefix: (sameHintAs as string).slice(0, 5) }),
      });
      return reply.json(200, { id: record.id, token: record.secret, workflowState: record.workflowState });
    }
    case 'POST /__sim/lti/keys': {
      // Registers (or replaces) an LTI 1.3 developer key, as an admin would in Canvas's UI.
      const parsed = jsonBody(body);
      const key = parsed.ok ? parseLtiKey(parsed.value) : 'body must be JSON';
      if (typeof key === 'string') return refuse(reply, key);
      state.lti.registerKey(key);
      return reply.json(201, { clientId: key.clientId, scopes: key.scopes });
    }
    case 'GET /__sim/seeds':
      return reply.json(200, state.seeds(deps.url()));
    case 'POST /__sim/faults': {
      const parsed = jsonBody(body);
      if (!parsed.ok) return refuse(reply, 'body must be JSON');
      const spec = parseFaultSpec(parsed.value);
      if (typeof spec === 'string') return refuse(reply, spec);
      state.faults.add(spec);
      return reply.empty(204);
    }
    case 'DELETE /__sim/faults':
      state.faults.clear();
      return reply.empty(204);
    case 'POST /__sim/rotate':
      state.rotate();
      return reply.json(200, state.seeds(deps.url()));
    case 'GET /__sim/clock':
      return reply.json(200, { offsetSeconds: state.clock.offsetSeconds(), now: state.clock.now() });
    case 'POST /__sim/clock': {
      const parsed = jsonBody(body);
      const offset = parsed.ok && isObject(parsed.value) ? parsed.value.offsetSeconds : undefined;
      if (
        !parsed.ok ||
        !isObject(parsed.value) ||
        Object.keys(parsed.value).some((key) => key !== 'offsetSeconds') ||
        typeof offset !== 'number' ||
        !Number.isFinite(offset) ||
        Math.abs(offset) > MAX_OFFSET_SECONDS
      ) {
        return refuse(reply, 'body must be {"offsetSeconds": <finite number of seconds, at most 10 years>}');
      }
      state.clock.setOffsetSeconds(offset);
      return reply.json(200, { offsetSeconds: state.clock.offsetSeconds(), now: state.clock.now() });
    }
    case 'POST /__sim/reset':
      state.reset();
      return reply.empty(204);
    case 'POST /__sim/introspect': {
      const parsed = jsonBody(body);
      const token = parsed.ok && isObject(parsed.value) ? parsed.value.token : undefined;
      if (typeof token !== 'string' || token === '')
        return refuse(reply, 'body must be {"token": "<token>"}');
      return reply.json(200, await deps.introspect(token));
    }
    default:
      return reply.json(404, { error: 'unknown control route' });
  }
};
