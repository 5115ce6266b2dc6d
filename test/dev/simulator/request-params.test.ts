import { describe, expect, it } from 'vitest';
import {
  looseBoolean,
  paramObject,
  paramString,
  paramStrings,
} from '../../../dev/simulator/param-readers.ts';
import { parseFormEncoded, parseParams } from '../../../dev/simulator/request-params.ts';

const body = (text: string) => Buffer.from(text, 'utf8');

describe('request params', () => {
  it('nests Rack-style form keys into hashes and arrays', () => {
    const params = parseFormEncoded(
      'token[purpose]=ci&token[scopes][]=a&token[scopes][]=b&workflows[]=ui&x=1',
    );
    expect(JSON.parse(JSON.stringify(params))).toEqual({
      token: { purpose: 'ci', scopes: ['a', 'b'] },
      workflows: ['ui'],
      x: '1',
    });
  });

  it('decodes plus signs and percent escapes, and refuses broken escapes', () => {
    expect(parseFormEncoded('a=one+two%21')?.a).toBe('one two!');
    expect(parseFormEncoded('a=%E0%A4%A')).toBeUndefined();
  });

  it('refuses a key used both as a scalar and as a hash', () => {
    expect(parseFormEncoded('a=1&a[b]=2')).toBeUndefined();
  });

  it('reads a JSON body and a form body into the same shape', () => {
    const fromJson = parseParams('', body('{"token":{"purpose":"ci","scopes":["a"]}}'), 'application/json');
    const fromForm = parseParams(
      '',
      body('token[purpose]=ci&token[scopes][]=a'),
      'application/x-www-form-urlencoded',
    );
    expect(fromJson.ok && fromForm.ok).toBe(true);
    if (fromJson.ok && fromForm.ok) {
      expect(JSON.parse(JSON.stringify(fromJson.params))).toEqual(
        JSON.parse(JSON.stringify(fromForm.params)),
      );
    }
  });

  it('lets the query string win over the body, as Rails does', () => {
    const result = parseParams('a=query', body('a=body&b=body'), undefined);
    expect(result.ok && paramString(result.params, 'a')).toBe('query');
    expect(result.ok && paramString(result.params, 'b')).toBe('body');
  });

  it('reports invalid JSON and ignores bodies of unknown media types', () => {
    expect(parseParams('', body('{nope'), 'application/json').ok).toBe(false);
    const ignored = parseParams('', body('a=1'), 'text/plain');
    expect(ignored.ok && paramString(ignored.params, 'a')).toBeUndefined();
  });

  it('never reads inherited properties as params', () => {
    const result = parseParams('', body('{"x":1}'), 'application/json');
    expect(result.ok && paramString(result.params, 'constructor')).toBeUndefined();
    expect(result.ok && paramObject(result.params, 'toString')).toBeUndefined();
    const proto = parseFormEncoded('__proto__[polluted]=yes');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(proto && paramObject(proto, '__proto__')).toBeDefined();
  });

  it('treats a lone scalar as a one-item list', () => {
    const params = parseFormEncoded('workflows=rich_content');
    expect(params && paramStrings(params, 'workflows')).toEqual(['rich_content']);
  });
});

describe("Canvas's loose boolean", () => {
  it.each(['true', 't', 'yes', 'y', 'on', '1', 'TRUE', 'Yes'])('reads %j as true', (value) => {
    expect(looseBoolean(value)).toBe(true);
  });

  it.each(['false', 'f', 'no', '0', '', ' true', 'truthy', '2'])('reads %j as false', (value) => {
    expect(looseBoolean(value)).toBe(false);
  });

  it('reads JSON booleans and numbers', () => {
    expect(looseBoolean(true)).toBe(true);
    expect(looseBoolean(false)).toBe(false);
    expect(looseBoolean(1)).toBe(true);
    expect(looseBoolean(0)).toBe(false);
    expect(looseBoolean(null)).toBe(false);
  });
});
