import { describe, expect, it } from 'vitest';
import { MAX_VARIANTS_PER_CREDENTIAL, makeVariantRegistry } from '../../shared/core/variant-registry.ts';
import { DAP, JWT } from '../support/core-harness.ts';

describe('makeVariantRegistry', () => {
  it('gives one state per credential and normalized parameters, however they were written', () => {
    const variants = makeVariantRegistry();
    const a = variants.variantOf(JWT, { contextType: 'Course', contextId: '7', canvasAudience: false });
    const b = variants.variantOf(JWT, { canvasAudience: false, contextId: '7', contextType: 'Course' });
    expect(a).toBe(b);
    expect(variants.variantOf(JWT, { contextType: 'Course', contextId: '8' })).not.toBe(a);
    expect(variants.stateFor(JWT, a.params)).toBe(a);
  });

  it('names the same variant for no parameters and for {}', () => {
    const variants = makeVariantRegistry();
    expect(variants.variantOf(DAP, undefined)).toBe(variants.variantOf(DAP, {}));
    expect(variants.variantOf(DAP, null)).toBe(variants.variantOf(DAP, undefined));
  });

  it('refuses parameters the credential does not allow, creating nothing', () => {
    const variants = makeVariantRegistry();
    expect(() => variants.variantOf(DAP, { workflows: ['ui'] })).toThrow();
    expect([...variants.statesOf('dap')]).toEqual([]);
  });

  it('keeps at most MAX_VARIANTS_PER_CREDENTIAL states per credential, dropping the oldest', () => {
    const variants = makeVariantRegistry();
    const first = variants.variantOf(JWT, { contextType: 'Course', contextId: '0' });
    for (let i = 1; i <= MAX_VARIANTS_PER_CREDENTIAL; i++) {
      variants.variantOf(JWT, { contextType: 'Course', contextId: String(i) });
    }
    expect([...variants.statesOf('canvas-jwt')]).toHaveLength(MAX_VARIANTS_PER_CREDENTIAL);
    expect([...variants.statesOf('canvas-jwt')]).not.toContain(first);
  });
});
