import { describe, expect, it } from 'vitest';
import { CredentialsRejectedError, InternalError } from '../../shared/core/errors.ts';
import type { IssuedToken, UpstreamClient, UpstreamRequest } from '../../shared/core/upstream-client.ts';
import { makeLazyUpstreamClient } from '../../shared/runtime/lazy-upstream-client.ts';

const REQUEST: UpstreamRequest = {
  secret: { versionId: 'v1', fields: { accessToken: 'a' } },
  params: {},
  signal: new AbortController().signal,
};
const issued = (token: string): IssuedToken => ({
  token,
  issuedAt: 0,
  expiresAt: 3_600_000,
  readableExpiry: false,
});

describe('makeLazyUpstreamClient', () => {
  it('loads on first call only, and forwards mint and refresh', async () => {
    let loads = 0;
    const inner: UpstreamClient = {
      mint: async () => issued('minted'),
      refresh: async (request) => issued(`refreshed ${request.previousToken}`),
    };
    const client = makeLazyUpstreamClient(
      async () => {
        loads++;
        return inner;
      },
      { renewable: true },
    );
    expect(loads).toBe(0);
    await expect(client.mint(REQUEST)).resolves.toMatchObject({ token: 'minted' });
    await expect(client.refresh?.({ ...REQUEST, previousToken: 'old' })).resolves.toMatchObject({
      token: 'refreshed old',
    });
    expect(loads).toBe(1);
  });

  it('has refresh exactly when told the client renews, before anything is loaded', () => {
    const load = async (): Promise<UpstreamClient> => ({ mint: async () => issued('t') });
    expect(makeLazyUpstreamClient(load, { renewable: false }).refresh).toBeUndefined();
    expect(makeLazyUpstreamClient(load, { renewable: true }).refresh).toBeTypeOf('function');
  });

  it('renews by minting should the loaded client have no refresh', async () => {
    const client = makeLazyUpstreamClient(async () => ({ mint: async () => issued('minted') }), {
      renewable: true,
    });
    await expect(client.refresh?.({ ...REQUEST, previousToken: 'old' })).resolves.toMatchObject({
      token: 'minted',
    });
  });

  it('retries a failed load, reporting it as INTERNAL (not an upstream failure)', async () => {
    let loads = 0;
    const client = makeLazyUpstreamClient(
      async () => {
        if (++loads === 1) throw new Error('chunk failed to load');
        return { mint: async () => issued('t') };
      },
      { renewable: false },
    );
    await expect(client.mint(REQUEST)).rejects.toBeInstanceOf(InternalError);
    await expect(client.mint(REQUEST)).resolves.toMatchObject({ token: 't' });
    expect(loads).toBe(2);
  });

  it("passes the loaded client's broker errors through untouched", async () => {
    const client = makeLazyUpstreamClient(
      async () => ({
        mint: async () => {
          throw new CredentialsRejectedError('rejected');
        },
      }),
      { renewable: false },
    );
    await expect(client.mint(REQUEST)).rejects.toBeInstanceOf(CredentialsRejectedError);
  });
});
