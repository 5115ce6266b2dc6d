import { beforeAll, describe, expect, it } from 'vitest';
import type { AuthenticatedCanvas } from '../../../dev/simulator/canvas-auth.ts';
import { handleCreateInstAccessToken } from '../../../dev/simulator/inst-access-api.ts';
import { handleCreateJwt, handleRefreshJwt } from '../../../dev/simulator/jwts-api.ts';
import type { HeaderMap, Reply } from '../../../dev/simulator/reply.ts';
import { parseFormEncoded } from '../../../dev/simulator/request-params.ts';
import type { SimRequest } from '../../../dev/simulator/sim-request.ts';
import { makeSimState, type SimState } from '../../../dev/simulator/sim-state.ts';
import { makeTestClock, START } from './sim-test-kit.ts';

/** Handler-level checks of what clients cannot see from outside: the claims inside encrypted tokens. */

interface Captured {
  status: number;
  body: unknown;
}

const capture = (): { reply: Reply; result: () => Captured } => {
  let captured: Captured | undefined;
  const reply: Reply = {
    json: (status, body) => {
      captured = { status, body };
    },
    text: (status, body) => {
      captured = { status, body };
    },
    empty: (status) => {
      captured = { status, body: undefined };
    },
    onSend: (_hook: (headers: HeaderMap) => void) => {},
    holdUntil: () => {},
    truncate: () => {},
    get sent() {
      return captured !== undefined;
    },
  };
  return {
    reply,
    result: () => {
      if (!captured) throw new Error('no reply');
      return captured;
    },
  };
};

const request = (form: string, host = 'canvas.test:443'): SimRequest & { charged: number } => {
  const req = {
    method: 'POST',
    path: '/',
    query: '',
    headers: {},
    host,
    origin: `http://${host}`,
    routeParams: {},
    params: parseFormEncoded(form) ?? {},
    body: Buffer.alloc(0),
    contentType: 'application/x-www-form-urlencoded',
    charged: 0,
    charge: (units: number) => {
      req.charged += units;
    },
  };
  return req;
};

let state: SimState;
const clock = makeTestClock();
const as = (userId: number): AuthenticatedCanvas => {
  const user = state.directory.findUser(userId);
  const token = state.accessTokens.listManual(userId)[0];
  if (!user || !token) throw new Error('fixture user missing');
  return { kind: 'access-token', user, token };
};

beforeAll(async () => {
  state = await makeSimState({ now: clock.now, identityExpiresIn: 3599, allowedAudiences: [] });
});

const mint = async (form: string, userId = 1): Promise<string> => {
  const { reply, result } = capture();
  await handleCreateJwt(request(form), as(userId), reply, state);
  expect(result().status).toBe(200);
  return (result().body as { token: string }).token;
};

describe('claims inside encrypted services JWTs', () => {
  it('carry workflows and context, with exp = iat + 3600 and nbf = iat - 30', async () => {
    const read = await state.servicesJwts.read(
      await mint('workflows[]=rich_content&context_type=course&context_id=1'),
    );
    expect(read?.encrypted).toBe(true);
    expect(read?.claims).toMatchObject({
      iss: 'Canvas',
      aud: ['Instructure'],
      sub: '10000000000001',
      domain: 'canvas.test:443',
      iat: START / 1000,
      nbf: START / 1000 - 30,
      exp: START / 1000 + 3600,
      workflows: ['rich_content'],
      context_type: 'Course',
      context_id: '1',
      root_account_uuid: state.directory.rootAccount.uuid,
    });
  });

  it('keep workflows and context through a refresh, with fresh times and jti', async () => {
    const original = await mint('workflows[]=rich_content&context_type=course&context_id=1');
    clock.advance(5000_000);
    const { reply, result } = capture();
    await handleRefreshJwt(request(`jwt=${encodeURIComponent(original)}`), as(1), reply, state);
    expect(result().status).toBe(200);
    const before = await state.servicesJwts.read(original);
    const after = await state.servicesJwts.read((result().body as { token: string }).token);
    expect(after?.encrypted).toBe(true);
    expect(after?.claims).toMatchObject({
      workflows: ['rich_content'],
      context_type: 'Course',
      context_id: '1',
      sub: '10000000000001',
      iat: clock.now() / 1000,
      exp: clock.now() / 1000 + 3600,
    });
    expect(after?.claims.jti).not.toBe(before?.claims.jti);
    clock.reset();
  });

  it('cannot be refreshed by another user', async () => {
    const original = await mint('workflows[]=ui');
    const { reply, result } = capture();
    await handleRefreshJwt(request(`jwt=${encodeURIComponent(original)}`), as(2), reply, state);
    expect(result()).toEqual({ status: 400, body: { errors: { jwt: 'invalid refresh' } } });
  });

  it('cannot be refreshed through another Canvas host', async () => {
    const original = await mint('workflows[]=ui');
    const { reply, result } = capture();
    await handleRefreshJwt(
      request(`jwt=${encodeURIComponent(original)}`, 'other.test:443'),
      as(1),
      reply,
      state,
    );
    expect(result()).toEqual({ status: 400, body: { errors: { jwt: 'invalid refresh' } } });
  });
});

describe('claims inside InstAccess tokens', () => {
  it('are an RS256 JWS from instructure:inst_access for the user, exp = iat + 3600, costing 200 units', async () => {
    const { reply, result } = capture();
    const req = request('');
    await handleCreateInstAccessToken(req, as(1), reply, state);
    expect(result().status).toBe(201);
    expect(req.charged).toBe(200);
    const read = await state.instAccessTokens.read((result().body as { token: string }).token);
    expect(read?.claims).toEqual({
      iss: 'instructure:inst_access',
      sub: state.directory.findUser(1)?.uuid,
      acct: state.directory.rootAccount.uuid,
      canvas_domain: 'canvas.test:443',
      region: 'us-east-1',
      jti: expect.any(String),
      iat: START / 1000,
      exp: START / 1000 + 3600,
    });
  });
});
