import type { Caller } from './credential.ts';

/**
 * One grant of the deny-by-default caller policy. A principal is an exact IAM ARN, a role ARN whose
 * role name ends in `*` (prefix match on the role name only), `account:<12 digits>`, or
 * `lambda-invoke` for direct invocations.
 */
export interface CallerRule {
  readonly principals: readonly string[];
  /** Credential ids, or `*` for every configured credential. */
  readonly credentials: readonly string[];
  readonly admin: boolean;
}

export interface CallerPolicy {
  readonly rules: readonly CallerRule[];
}

const matchesPrincipal = (pattern: string, caller: Caller): boolean => {
  if (pattern.startsWith('account:')) return caller.accountId !== '' && pattern.slice(8) === caller.accountId;
  if (pattern.endsWith('*')) {
    // Wildcards are allowed on the role name only (validated at config parse), so a prefix match
    // cannot cross an account or a resource-type boundary.
    return caller.arn.startsWith(pattern.slice(0, -1));
  }
  return pattern === caller.arn;
};

/** Whether `caller` may use `credentialId` (as admin when `admin` is true). */
export const isAllowed = (
  policy: CallerPolicy,
  caller: Caller,
  credentialId: string,
  admin = false,
): boolean =>
  policy.rules.some(
    (rule) =>
      (!admin || rule.admin) &&
      (rule.credentials.includes('*') || rule.credentials.includes(credentialId)) &&
      rule.principals.some((p) => matchesPrincipal(p, caller)),
  );
