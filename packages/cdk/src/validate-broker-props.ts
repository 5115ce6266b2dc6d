import { Token } from 'aws-cdk-lib';
import type { BrokerConfigInput } from '../../../shared/config/broker-config.ts';
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
    if (!c?.secret || typeof c.secret.secretArn !== 'string')
      fail(`credentials[${i}].secret`, 'an ISecret is required');
    checkHttpsUrl(`credentials[${i}].baseUrl`, c.baseUrl);
  });
  const config: BrokerConfigInput = {
    credentials: props.credentials.map(({ secret, ...credential }) => ({
      ...credential,
      secretId: secret.secretArn,
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
  // The functions accept the same shape at init (POWERTOOLS_METRICS_NAMESPACE); refuse it here first.
  if (props.metricsNamespace !== undefined && !/^[A-Za-z0-9_./#:-]{1,255}$/.test(props.metricsNamespace)) {
    fail('metricsNamespace', `"${props.metricsNamespace}" must be 1-255 of A-Z a-z 0-9 _ . / # : -`);
  }
  return config;
};
