import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../shared/adapters/crypto/canonical-json.ts';

describe('canonicalJson', () => {
  it('produces the same text whatever order the keys were inserted in', () => {
    expect(canonicalJson({ b: '2', a: '1', c: '3' })).toBe(canonicalJson({ c: '3', a: '1', b: '2' }));
    expect(canonicalJson({ b: '2', a: '1' })).toBe('{"a":"1","b":"2"}');
  });

  it('keeps integer-like keys in sorted string order, unlike JSON.stringify', () => {
    expect(canonicalJson({ b: 'x', '10': 'y', '2': 'z' })).toBe('{"10":"y","2":"z","b":"x"}');
  });

  it('escapes keys and values so a value cannot forge another entry', () => {
    const forged = canonicalJson({ a: '1","b":"2' });
    expect(forged).not.toBe(canonicalJson({ a: '1', b: '2' }));
    expect(JSON.parse(forged)).toEqual({ a: '1","b":"2' });
  });

  it('refuses a non-string value and names only its key', () => {
    const record = { version: 7 } as unknown as Record<string, string>;
    expect(() => canonicalJson(record)).toThrow(/"version"/);
    expect(() => canonicalJson(record)).not.toThrow(/7/);
  });
});
