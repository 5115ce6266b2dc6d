import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * Collects the placeholders of one DynamoDB request. Every attribute name goes through `#name`
 * placeholders because DynamoDB reserves hundreds of words (`ttl`, `version`-like names come and go),
 * and every value through a numbered `:vN`, so no caller ever splices data into expression text.
 */
export interface ExpressionBuilder {
  /** `#attr` for an attribute of the table's own schema (plain identifiers only). */
  name(attribute: string): string;
  value(value: AttributeValue): string;
  /** `SET a = :x, ... REMOVE b, ...`; attributes with an undefined value go to REMOVE. */
  update(set: Readonly<Record<string, AttributeValue | undefined>>, remove?: readonly string[]): string;
  readonly names: Record<string, string>;
  readonly values: Record<string, AttributeValue>;
}

export const makeExpressionBuilder = (): ExpressionBuilder => {
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  let next = 0;
  const name = (attribute: string): string => {
    const placeholder = `#${attribute}`;
    names[placeholder] = attribute;
    return placeholder;
  };
  const value = (attributeValue: AttributeValue): string => {
    const placeholder = `:v${next}`;
    next += 1;
    values[placeholder] = attributeValue;
    return placeholder;
  };
  const update = (
    set: Readonly<Record<string, AttributeValue | undefined>>,
    remove: readonly string[] = [],
  ): string => {
    const assignments: string[] = [];
    const removals = [...remove];
    for (const [attribute, attributeValue] of Object.entries(set)) {
      if (attributeValue === undefined) removals.push(attribute);
      else assignments.push(`${name(attribute)} = ${value(attributeValue)}`);
    }
    const parts: string[] = [];
    if (assignments.length > 0) parts.push(`SET ${assignments.join(', ')}`);
    if (removals.length > 0) parts.push(`REMOVE ${removals.map(name).join(', ')}`);
    return parts.join(' ');
  };
  return { name, value, update, names, values };
};
