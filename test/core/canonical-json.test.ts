import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../shared/core/canonical-json.ts';
import { variantId } from '../../shared/core/variant-id.ts';

describe('canonicalJson', () => {
  it('sorts keys at every level, integer-like ones too, and drops undefined members', () => {
    expect(
      canonicalJson({ b: { d: 1, c: [2, { f: true, e: null }] }, a: undefined, '10': 'x', '2': 'y' }),
    ).toBe('{"10":"x","2":"y","b":{"c":[2,{"e":null,"f":true}],"d":1}}');
  });

  it('gives equal parameter sets the same variant id whatever their key order', () => {
    expect(variantId({ workflows: ['a', 'b'], contextType: 'Course', contextId: '1' })).toBe(
      variantId({ contextId: '1', contextType: 'Course', workflows: ['a', 'b'] }),
    );
    // The id of a stored variant must never change: this one was computed by the previous copy.
    expect(variantId({})).toBe('44136fa355b3678a1146ad16');
  });
});
