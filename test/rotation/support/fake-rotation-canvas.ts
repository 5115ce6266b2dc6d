import { randomBytes } from 'node:crypto';
import { CredentialsRejectedError, UpstreamFatalError } from '../../../shared/core/errors.ts';
import type { RotationCanvas, RotationCanvasToken } from '../../../shared/core/rotation-canvas.ts';

interface FakeToken {
  id: string;
  secret: string;
  purpose: string;
  state: 'active' | 'pending' | 'deleted';
}

type Operation = 'list' | 'create' | 'delete' | 'whoami';

export interface FakeRotationCanvas {
  readonly canvas: RotationCanvas;
  /** Adds a token as if made by hand in Canvas; returns its secret. */
  seed(purpose?: string): { id: string; secret: string };
  live(): Array<{ id: string; purpose: string; state: string }>;
  /** The next call of `operation` fails with `error` (once). */
  failNext(operation: Operation, error: Error): void;
  /** Tokens are created in this state (a token made for another user is `pending`). */
  createState: 'active' | 'pending';
  readonly calls: Operation[];
}

const notFound = () =>
  new UpstreamFatalError('Canvas token delete failed: HTTP 404', { upstreamStatus: 404 });

/** An in-memory Canvas Tokens API for one user, for rotation edge cases the simulator cannot stage. */
export const makeFakeRotationCanvas = (): FakeRotationCanvas => {
  const tokens: FakeToken[] = [];
  const failures = new Map<Operation, Error>();
  const calls: Operation[] = [];
  let nextId = 100;

  const add = (purpose: string, state: FakeToken['state']): FakeToken => {
    const token: FakeToken = {
      id: String(nextId++),
      secret: `7~${randomBytes(24).toString('hex')}`,
      purpose,
      state,
    };
    tokens.push(token);
    return token;
  };
  const view = (t: FakeToken): RotationCanvasToken => ({
    id: t.id,
    purpose: t.purpose,
    workflowState: t.state,
    tokenHint: t.secret.slice(0, 5),
  });
  const enter = (operation: Operation, accessToken: string) => {
    calls.push(operation);
    const failure = failures.get(operation);
    if (failure) {
      failures.delete(operation);
      throw failure;
    }
    const caller = tokens.find((t) => t.secret === accessToken);
    if (caller?.state !== 'active')
      throw new CredentialsRejectedError('Invalid access token.', { upstreamStatus: 401 });
  };

  const fake: FakeRotationCanvas = {
    calls,
    createState: 'active',
    seed: (purpose = 'made by hand') => {
      const token = add(purpose, 'active');
      return { id: token.id, secret: token.secret };
    },
    live: () =>
      tokens
        .filter((t) => t.state !== 'deleted')
        .map((t) => ({ id: t.id, purpose: t.purpose, state: t.state })),
    failNext: (operation, error) => {
      failures.set(operation, error);
    },
    canvas: (accessToken) => ({
      async listTokens() {
        enter('list', accessToken);
        return tokens.filter((t) => t.state !== 'deleted').map(view);
      },
      async createToken(_userId, input) {
        enter('create', accessToken);
        const token = add(input.purpose, fake.createState);
        const record = view(token);
        Object.defineProperty(record, 'secret', { value: token.secret, enumerable: false });
        return record;
      },
      async deleteToken(_userId, idOrHint) {
        enter('delete', accessToken);
        const token = tokens.find(
          (t) =>
            t.state !== 'deleted' &&
            (idOrHint.length === 5 ? t.secret.startsWith(idOrHint) : t.id === idOrHint),
        );
        if (!token) throw notFound();
        token.state = 'deleted';
      },
      async whoami() {
        enter('whoami', accessToken);
        return { id: '1' };
      },
    }),
  };
  return fake;
};
