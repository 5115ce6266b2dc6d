import { describe, expect, it } from 'vitest';
import { nextLink } from '../../../shared/adapters/http/link-header.ts';

describe('nextLink', () => {
  it('finds rel="next" among the entries Canvas joins with commas', () => {
    const header =
      '<https://c.example/api/v1/x?page=1&per_page=10>; rel="current",' +
      '<https://c.example/api/v1/x?page=2&per_page=10>; rel="next",' +
      '<https://c.example/api/v1/x?page=1&per_page=10>; rel="first"';
    expect(nextLink(header)).toBe('https://c.example/api/v1/x?page=2&per_page=10');
  });

  it('accepts an unquoted rel, extra parameters and several rel values', () => {
    expect(nextLink('<https://c.example/p2>; rel=next')).toBe('https://c.example/p2');
    expect(nextLink('<https://c.example/p2>; title="x"; rel="next last"')).toBe('https://c.example/p2');
  });

  it('returns undefined on the last page or without a header', () => {
    expect(
      nextLink('<https://c.example/p1>; rel="current", <https://c.example/p1>; rel="last"'),
    ).toBeUndefined();
    expect(nextLink(null)).toBeUndefined();
    expect(nextLink('garbage')).toBeUndefined();
  });
});
