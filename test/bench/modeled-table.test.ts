import { describe, expect, it } from 'vitest';
import { makeModeledTable } from '../../bench/support/modeled-table.ts';

const KEY = { credentialId: 'dap', variantId: 'v1' };
const INIT = { kind: 'identity-service' as const, params: {} };
const lease = (id: string) => ({ id, owner: `i-${id}`, at: 0, ms: 40_000 });

// P1's fleet-like line stands on this table: it must keep the store's semantics across instances.
describe('the modeled table', () => {
  it('gives one lease to instances racing for it, as a conditional write does', async () => {
    const table = makeModeledTable({ minMs: 0, maxMs: 2 });
    const instances = Array.from({ length: 8 }, () => table.storeFor());
    const taken = await Promise.all(
      instances.map((store, i) => store.acquireLease(KEY, INIT, lease(`l${i}`), { version: 0 })),
    );
    expect(taken.filter(Boolean)).toHaveLength(1);
  });

  it('shows every instance what one instance wrote once its call has returned', async () => {
    const table = makeModeledTable({ minMs: 0, maxMs: 2 });
    const [writer, reader] = [table.storeFor(), table.storeFor()];
    expect(await reader.read(KEY)).toBeUndefined();
    expect(await writer.acquireLease(KEY, INIT, lease('w'), { version: 0 })).toBe(true);
    expect((await reader.read(KEY))?.lease?.id).toBe('w');
  });
});
