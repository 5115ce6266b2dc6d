import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBrokerClient } from '@canvas-credential-broker/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LOCAL_PRINCIPAL_ARN } from '../../dev/local/start-local-api.ts';
import { type LocalBroker, startLocalBroker } from '../../dev/local/start-local-broker.ts';
import { type RunningSimulator, startSimulator } from '../../dev/simulator/index.ts';
import { signedFetch } from '../dev/local/support/signed-fetch.ts';
import { registerCanary } from '../support/canary.ts';

/** Two ordinary callers of the same credential: neither is an admin. */
const VICTIM = {
  accessKeyId: 'AKIAVICTIM0000000001',
  secretAccessKey: 'victim-secret-00000000000000000000000001',
  principalArn: 'arn:aws:iam::111122223333:role/victim',
};
const MALLORY = {
  accessKeyId: 'AKIAMALLORY000000001',
  secretAccessKey: 'mallory-secret-0000000000000000000000001',
  principalArn: 'arn:aws:iam::111122223333:role/mallory',
};

let home: string;
let sim: RunningSimulator;
let broker: LocalBroker;

beforeAll(async () => {
  home = await mkdtemp(join(tmpdir(), 'broker-hostile-'));
  sim = await startSimulator({ port: 0 });
  const seeds = sim.seeds();
  await writeFile(
    join(home, 'secrets.json'),
    JSON.stringify({
      'dap-secret': { clientId: seeds.identity.clientId, clientSecret: seeds.identity.clientSecret },
    }),
    { mode: 0o600 },
  );
  await writeFile(
    join(home, 'config.json'),
    JSON.stringify({
      credentials: [{ id: 'dap', kind: 'identity-service', secretId: 'dap-secret', baseUrl: sim.url }],
      callers: [
        { principals: [VICTIM.principalArn, MALLORY.principalArn], credentials: ['dap'] },
        { principals: [DEFAULT_LOCAL_PRINCIPAL_ARN], credentials: ['*'], admin: true },
      ],
    }),
  );
  broker = await startLocalBroker({ home, port: 0, additionalKeys: [VICTIM, MALLORY] });
});

afterAll(async () => {
  await broker?.stop();
  await sim?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: response JSON is probed field by field
type Json = any;

describe('a caller that only lists, against the local API over SigV4', () => {
  it('cannot evict another caller’s token: 5 attempts, still one mint', async () => {
    const victim = makeBrokerClient({ endpoint: broker.url, region: broker.region, credentials: VICTIM });
    const attempts: number[] = [];
    const shown: unknown[] = [];
    for (let round = 0; round < 5; round++) {
      victim.clearCache();
      registerCanary((await victim.getToken('dap')).token);
      // Mallory lists, takes the current fingerprint if one is shown, and reports it as rejected.
      const listing = await signedFetch(broker.url, '/v1/credentials', MALLORY);
      expect(listing.status).toBe(200);
      const variant = (listing.json as Json).credentials[0].variants[0];
      shown.push(variant.fingerprint);
      const report = await signedFetch(broker.url, '/v1/credentials/dap/token/invalidate', MALLORY, {
        body: JSON.stringify({ fingerprint: variant.fingerprint ?? '0000000000000000' }),
      });
      attempts.push(report.status);
      // A guessed hash proves nothing either.
      const guess = await signedFetch(broker.url, '/v1/credentials/dap/token/invalidate', MALLORY, {
        body: JSON.stringify({ tokenSha256: 'a'.repeat(64) }),
      });
      expect(guess.status).not.toBe(500);
    }
    victim.clearCache();
    await victim.getToken('dap');
    // Before proof of possession: 5 evictions and 6 mints.
    expect(sim.stats()['ids-login']).toBe(1);
    expect(attempts).toEqual([400, 400, 400, 400, 400]);
    expect(shown).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('still lets the holder report its own rejected token through the client library', async () => {
    const victim = makeBrokerClient({ endpoint: broker.url, region: broker.region, credentials: VICTIM });
    const held = await victim.getToken('dap');
    registerCanary(held.token);
    expect(await victim.reportRejected('dap', held.token)).toEqual({ invalidated: true });
    const next = await victim.getToken('dap');
    registerCanary(next.token);
    expect(next.token).not.toBe(held.token);
    expect(sim.stats()['ids-login']).toBe(2);
  });

  it('shows an admin every variant with its fingerprint', async () => {
    const listing = await signedFetch(broker.url, '/v1/credentials', broker.credentials);
    expect((listing.json as Json).credentials[0].variants[0].fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });
});
