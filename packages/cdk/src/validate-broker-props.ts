import { Token } from 'aws-cdk-lib';
import type { BrokerConfigInput } from '../../../shared/config/broker-config.ts';
import {
  KMS_KEY_ONLY_ARN,
  MAX_JWKS_MAX_AGE_SECONDS,
  MAX_PREVIOUS_SIGNING_KEYS,
} from '../../../shared/config/limits.ts';
import { parseBrokerConfig } from '../../../shared/config/parse-broker-config.ts';
import { type CredentialBrokerProps, ROTATION_DEFAULTS } from './credential-broker-props.ts';

const ACCOUNT_ID = /^\d{12}$/;
const ORG_ID = /^o-[a-z0-9]{10,32}$/;

const fail = (field: string, problem: string): never => {
  throw new Error(`CredentialBroker: ${field}: ${problem}`);
};

/** Lambda reaches upstream over the internet: plain http (which local mode allows on loopback) never fits. */
const checkHttpsUrl = (field: string, value: unknown): void => {
  if (typeof value !== 'string') {
    fail(field, 'must be an https URL string');
    return;
  }
  if (Token.isUnresolved(value)) return;
  if (URL.canParse(value) ? new URL(value).protocol !== 'https:' : true) {
    fail(field, `"${value}" must be an https URL`);
  }
};

const checkRotation = (rotation: CredentialBrokerProps['canvasTokenRotation']): void => {
  if (rotation === undefined) return;
  if (!rotation.secret || typeof rotation.secret.secretArn !== 'string') {
    fail('canvasTokenRotation.secret', 'an ISecret is required');
  }
  checkHttpsUrl('canvasTokenRotation.canvasBaseUrl', rotation.canvasBaseUrl);
  const days = rotation.tokenExpiryDays ?? ROTATION_DEFAULTS.tokenExpiryDays;
  if (!(Number.isInteger(days) && days > 0 && days <= 3650)) {
    fail('canvasTokenRotation.tokenExpiryDays', 'must be an integer from 1 to 3650');
  }
  const every = (rotation.rotateEvery ?? ROTATION_DEFAULTS.rotateEvery).toDays({ integral: false });
  // Secrets Manager may run a rotation up to a day late; the old token must still work by then.
  if (days < every + 2) {
    fail(
      'canvasTokenRotation.tokenExpiryDays',
      `${days} days must exceed rotateEvery (${every} days) by at least 2 days`,
    );
  }
};

const LTI_KIND = 'lti-advantage';

/** A key ARN known at synth must name a key, not an alias (a token resolves to a key's ARN). */
const checkKeyArn = (field: string, key: unknown): string | undefined => {
  const arn = (key as { keyArn?: unknown } | undefined)?.keyArn;
  if (typeof arn !== 'string') return fail(field, 'an IKey is required');
  if (Token.isUnresolved(arn)) return undefined;
  if (!KMS_KEY_ONLY_ARN.test(arn)) fail(field, `"${arn}" must be a KMS key ARN (not an alias)`);
  return arn;
};

const checkLtiKeys = (props: CredentialBrokerProps): void => {
  const usesLti = props.credentials.some((c) => c.kind === LTI_KIND);
  const given = (['ltiSigningKey', 'ltiPreviousSigningKeys', 'jwksMaxAge', 'jwksThrottle'] as const).filter(
    (name) => props[name] !== undefined,
  );
  if (!usesLti) {
    // Set without an lti-advantage credential, these would deploy nothing: say so, not ignore it.
    if (given.length > 0) fail(given[0]!, `no credential is of kind ${LTI_KIND}`);
    return;
  }
  const current =
    props.ltiSigningKey === undefined ? undefined : checkKeyArn('ltiSigningKey', props.ltiSigningKey);
  const previous = props.ltiPreviousSigningKeys ?? [];
  if (!Array.isArray(previous)) fail('ltiPreviousSigningKeys', 'must be a list of IKey');
  if (previous.length > MAX_PREVIOUS_SIGNING_KEYS) {
    fail('ltiPreviousSigningKeys', `at most ${MAX_PREVIOUS_SIGNING_KEYS} keys (a rotation overlaps two)`);
  }
  previous.forEach((key, i) => {
    const arn = checkKeyArn(`ltiPreviousSigningKeys[${i}]`, key);
    if (arn !== undefined && arn === current) {
      fail(
        `ltiPreviousSigningKeys[${i}]`,
        'is the current ltiSigningKey (list only keys that no longer sign)',
      );
    }
  });
  if (props.jwksMaxAge !== undefined) {
    const seconds = props.jwksMaxAge.toSeconds({ integral: false });
    if (!(Number.isInteger(seconds) && seconds >= 0 && seconds <= MAX_JWKS_MAX_AGE_SECONDS)) {
      fail('jwksMaxAge', `must be whole seconds from 0 to ${MAX_JWKS_MAX_AGE_SECONDS}`);
    }
  }
};

const checkCallerScope = (props: CredentialBrokerProps): void => {
  const accounts = props.allowedAccountIds ?? [];
  if (props.allowedOrganizationId === undefined && accounts.length === 0) {
    fail(
      'allowedOrganizationId',
      'allowedOrganizationId or allowedAccountIds is required (API resource policy)',
    );
  }
  if (props.allowedOrganizationId !== undefined && !ORG_ID.test(props.allowedOrganizationId)) {
    fail('allowedOrganizationId', `"${props.allowedOrganizationId}" must match ${ORG_ID}`);
  }
  accounts.forEach((a, i) => {
    if (!ACCOUNT_ID.test(a)) fail(`allowedAccountIds[${i}]`, `"${a}" must be 12 digits`);
  });
};

/**
 * Validates the construct's props at synth and derives the BROKER_CONFIG the functions parse at
 * cold start. The config goes through the runtime's own `parseBrokerConfig`, so synth rejects
 * exactly what a cold start would, naming the field (`credentials[1].id: ...`), before a deploy.
 */
export const validateBrokerProps = (props: CredentialBrokerProps): BrokerConfigInput => {
  if (!Array.isArray(props.credentials) || props.credentials.length === 0) {
    fail('credentials', 'at least one credential is required');
  }
  props.credentials.forEach((c, i) => {
    if (c?.kind === LTI_KIND) {
      if (c.secret !== undefined) {
        fail(
          `credentials[${i}].secret`,
          `must be absent for ${LTI_KIND}: its assertions are signed by ltiSigningKey`,
        );
      }
      if (c.lti?.tokenUrl !== undefined) checkHttpsUrl(`credentials[${i}].lti.tokenUrl`, c.lti.tokenUrl);
    } else if (!c?.secret || typeof c.secret.secretArn !== 'string') {
      fail(`credentials[${i}].secret`, 'an ISecret is required');
    }
    checkHttpsUrl(`credentials[${i}].baseUrl`, c.baseUrl);
  });
  const config: BrokerConfigInput = {
    credentials: props.credentials.map(({ secret, ...credential }) => ({
      ...credential,
      ...(secret === undefined ? {} : { secretId: secret.secretArn }),
    })),
    callers: props.callers,
    ...(props.settings === undefined ? {} : { settings: props.settings }),
  };
  try {
    parseBrokerConfig(config);
  } catch (error) {
    throw new Error(`CredentialBroker: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  checkCallerScope(props);
  checkRotation(props.canvasTokenRotation);
  checkLtiKeys(props);
  // The functions accept the same shape at init (POWERTOOLS_METRICS_NAMESPACE); refuse it here first.
  if (props.metricsNamespace !== undefined && !/^[A-Za-z0-9_./#:-]{1,255}$/.test(props.metricsNamespace)) {
    fail('metricsNamespace', `"${props.metricsNamespace}" must be 1-255 of A-Z a-z 0-9 _ . / # : -`);
  }
  return config;
};
