import { describe, expect, it } from 'vitest';
import {
  credentialHoldKey,
  mintItem,
  variantItemKey,
  variantKeyOf,
} from '../../shared/adapters/aws/dynamodb-token-item.ts';
import {
  credentialIdOfPartition,
  credentialPartitionKey,
  TABLE_KEY,
} from '../../shared/config/token-table-layout.ts';

describe('the token table layout', () => {
  it('puts every item the adapter writes in the partition the construct grants through LeadingKeys', () => {
    const id = 'canvas-services';
    const granted = credentialPartitionKey(id);
    expect(granted).toBe('CRED#canvas-services');
    const key = { credentialId: id, variantId: 'v1' };
    const items = [
      variantItemKey(key),
      credentialHoldKey(id),
      mintItem(
        {
          key,
          fingerprint: '0123456789abcdef',
          issuedAt: 1,
          expiresAt: 2,
          secretVersionId: 's',
          version: 1,
          instanceId: 'i',
          via: 'mint',
        },
        60_000,
      ),
    ];
    for (const item of items) expect(item[TABLE_KEY.partition]).toEqual({ S: granted });
  });

  it('reads the credential back from its partition and nothing from a foreign one', () => {
    expect(credentialIdOfPartition(credentialPartitionKey('dap'))).toBe('dap');
    expect(credentialIdOfPartition('OTHER#dap')).toBeUndefined();
    expect(variantKeyOf(variantItemKey({ credentialId: 'dap', variantId: 'abc' }))).toEqual({
      credentialId: 'dap',
      variantId: 'abc',
    });
  });
});
