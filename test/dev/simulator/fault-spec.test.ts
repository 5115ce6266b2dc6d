import { describe, expect, it } from 'vitest';
import { makeFaultRegistry } from '../../../dev/simulator/fault-registry.ts';
import { parseFaultSpec } from '../../../dev/simulator/fault-spec.ts';

describe('fault specs', () => {
  it('accepts each documented kind', () => {
    expect(
      parseFaultSpec({ endpoint: 'jwts', kind: 'status', status: 503, retryAfter: 7, times: 2 }),
    ).toEqual({
      endpoint: 'jwts',
      kind: 'status',
      status: 503,
      retryAfter: 7,
      times: 2,
    });
    expect(parseFaultSpec({ endpoint: '*', kind: 'rate-limit' })).toEqual({
      endpoint: '*',
      kind: 'rate-limit',
    });
    expect(parseFaultSpec({ endpoint: 'ids-login', kind: 'delay', delayMs: 10 })).toMatchObject({
      delayMs: 10,
    });
    expect(parseFaultSpec({ endpoint: 'tokens', kind: 'hang' })).toMatchObject({ kind: 'hang' });
    expect(parseFaultSpec({ endpoint: 'dap-tables', kind: 'malformed' })).toMatchObject({
      kind: 'malformed',
    });
    expect(
      parseFaultSpec({
        endpoint: 'ids-login',
        kind: 'status',
        status: 403,
        errorType: 'AccountNotOnboarded',
      }),
    ).toMatchObject({ errorType: 'AccountNotOnboarded' });
  });

  it.each([
    ['a non-object', [1, 2]],
    ['null', null],
    ['an unknown endpoint', { endpoint: 'nope', kind: 'hang' }],
    ['an unknown kind', { endpoint: 'jwts', kind: 'explode' }],
    ['a status fault without status', { endpoint: 'jwts', kind: 'status' }],
    ['a success status', { endpoint: 'jwts', kind: 'status', status: 200 }],
    ['a fractional status', { endpoint: 'jwts', kind: 'status', status: 500.5 }],
    ['a delay without delayMs', { endpoint: 'jwts', kind: 'delay' }],
    ['a negative delay', { endpoint: 'jwts', kind: 'delay', delayMs: -1 }],
    ['zero times', { endpoint: 'jwts', kind: 'hang', times: 0 }],
    ['a string retryAfter', { endpoint: 'jwts', kind: 'status', status: 429, retryAfter: '5' }],
    ['status on a non-status kind', { endpoint: 'jwts', kind: 'hang', status: 500 }],
    ['an unknown field', { endpoint: 'jwts', kind: 'hang', colour: 'red' }],
    ['an errorType with spaces', { endpoint: 'ids-login', kind: 'status', status: 403, errorType: 'a b' }],
  ])('refuses %s', (_label, body) => {
    expect(typeof parseFaultSpec(body)).toBe('string');
  });

  it('applies the newest matching fault and retires it after its times', () => {
    const registry = makeFaultRegistry();
    registry.add({ endpoint: '*', kind: 'status', status: 500 });
    registry.add({ endpoint: 'jwts', kind: 'hang', times: 1 });
    expect(registry.take('jwts')?.kind).toBe('hang');
    expect(registry.take('jwts')?.kind).toBe('status');
    expect(registry.take('tokens')?.kind).toBe('status');
    registry.clear();
    expect(registry.take('jwts')).toBeUndefined();
  });
});
