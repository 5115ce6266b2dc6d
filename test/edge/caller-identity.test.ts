import { describe, expect, it } from 'vitest';
import { PolicyDeniedError } from '../../shared/core/errors.ts';
import { callerFromRequestContext } from '../../shared/edge/caller-identity.ts';
import { ASSUMED_ROLE, CROSS_ACCOUNT, IAM_USER, restEvent } from '../support/api-gateway-event.ts';

const contextOf = (identity: Parameters<typeof restEvent>[0]['identity']) =>
  restEvent({ method: 'GET', path: '/v1/credentials', identity }).event.requestContext;

describe('callerFromRequestContext', () => {
  it('takes an IAM user as its ARN, path included', () => {
    expect(callerFromRequestContext(contextOf(IAM_USER))).toEqual({
      arn: 'arn:aws:iam::111122223333:user/ops/alice',
      accountId: '111122223333',
    });
  });

  it('reduces an assumed-role session to its role ARN', () => {
    expect(callerFromRequestContext(contextOf(ASSUMED_ROLE))).toEqual({
      arn: 'arn:aws:iam::111122223333:role/reporting',
      accountId: '111122223333',
    });
  });

  it('keeps a cross-account caller in its own account', () => {
    expect(callerFromRequestContext(contextOf(CROSS_ACCOUNT))).toEqual({
      arn: 'arn:aws:iam::444455556666:role/partner-etl',
      accountId: '444455556666',
    });
  });

  it('keeps the partition of a GovCloud session', () => {
    const context = {
      identity: { userArn: 'arn:aws-us-gov:sts::111122223333:assumed-role/r/s', accountId: '111122223333' },
    };
    expect(callerFromRequestContext(context).arn).toBe('arn:aws-us-gov:iam::111122223333:role/r');
  });

  it('derives the account from the ARN when accountId is absent', () => {
    const context = { identity: { userArn: IAM_USER.userArn, accountId: null } };
    expect(callerFromRequestContext(context).accountId).toBe('111122223333');
  });

  it.each([
    ['no identity', contextOf(null)],
    ['no request context', undefined],
    ['a non-object context', 'identity'],
    ['an empty ARN', { identity: { userArn: '', accountId: '111122223333' } }],
    ['a non-ARN', { identity: { userArn: 'alice', accountId: '111122223333' } }],
    ['a foreign service ARN', { identity: { userArn: 'arn:aws:s3:::bucket', accountId: '111122223333' } }],
    [
      'an account that disagrees with the ARN',
      { identity: { userArn: IAM_USER.userArn, accountId: '444455556666' } },
    ],
    ['a malformed account', { identity: { userArn: IAM_USER.userArn, accountId: 'abc' } }],
  ])('denies a request with %s', (_name, context) => {
    expect(() => callerFromRequestContext(context)).toThrow(PolicyDeniedError);
  });
});
