import type { Caller } from '../core/credential.ts';
import { PolicyDeniedError } from '../core/errors.ts';

const ACCOUNT = /^\d{12}$/;
// arn:<partition>:sts::<account>:assumed-role/<RoleName>/<SessionName>
const ASSUMED_ROLE = /^arn:(aws|aws-cn|aws-us-gov):sts::(\d{12}):assumed-role\/([\w+=,.@-]{1,64})\/[^/]+$/;
const ANY_ARN = /^arn:(aws|aws-cn|aws-us-gov):(iam|sts)::(\d{12}):[\x21-\x7E]{1,512}$/;

const MISSING = 'The request carries no IAM caller identity.';

const stringField = (value: unknown, key: string): string | undefined => {
  if (typeof value !== 'object' || value === null) return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === 'string' && field !== '' ? field : undefined;
};

let last: { userArn?: string; accountField?: string; caller?: Caller } = {};

const parseCaller = (userArn: string, accountField: string | undefined): Caller => {
  const arn = ANY_ARN.exec(userArn);
  if (arn === null) throw new PolicyDeniedError(MISSING);
  const arnAccount = arn[3]!;
  const accountId = accountField ?? arnAccount;
  // Both come from the same signature; a disagreement means a forged or broken context.
  if (!ACCOUNT.test(accountId) || accountId !== arnAccount) throw new PolicyDeniedError(MISSING);
  const session = ASSUMED_ROLE.exec(userArn);
  // Frozen: the same object answers every repeat of this identity (see callerFromRequestContext).
  if (session !== null)
    return Object.freeze({ arn: `arn:${session[1]}:iam::${session[2]}:role/${session[3]}`, accountId });
  return Object.freeze({ arn: userArn, accountId });
};

/**
 * The caller of an IAM-authorized API Gateway request, from `requestContext.identity`
 * (`userArn`, `accountId`). An assumed-role session ARN is reduced to its role ARN, because a
 * policy names roles, not sessions:
 * `arn:aws:sts::<acct>:assumed-role/<Role>/<session>` → `arn:aws:iam::<acct>:role/<Role>`.
 * The STS ARN carries no role path, so `role/service/Role` is matched as `role/Role`; policies
 * list roles without their path (parseBrokerConfig rejects a role ARN with one).
 *
 * A missing or malformed identity is a POLICY_DENIED, never a guess: with AWS_IAM auth on every
 * method it can only mean a misconfigured API, and deny is the safe answer.
 */
export const callerFromRequestContext = (requestContext: unknown): Caller => {
  const identity =
    typeof requestContext === 'object' && requestContext !== null
      ? (requestContext as Record<string, unknown>).identity
      : undefined;
  const userArn = stringField(identity, 'userArn');
  if (userArn === undefined) throw new PolicyDeniedError(MISSING);
  const accountField = stringField(identity, 'accountId');
  // A function instance mostly serves the same few callers: the last accepted identity is kept,
  // so a repeat skips the two ARN expressions (bench P2). Only an accepted pair is ever kept.
  if (userArn === last.userArn && accountField === last.accountField && last.caller !== undefined) {
    return last.caller;
  }
  const caller = parseCaller(userArn, accountField);
  last = { userArn, accountField, caller };
  return caller;
};
