import { BadRequestError } from '../core/errors.ts';
import { safeText } from '../core/safe-text.ts';

export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';

/** What Secrets Manager sends a rotation function, once per step. */
export interface RotationEvent {
  readonly SecretId: string;
  /** The id of the version being created; the same for all four steps and for retries. */
  readonly ClientRequestToken: string;
  readonly Step: RotationStep;
}

const STEPS: readonly RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
// Secrets Manager ids and ClientRequestTokens are printable ASCII (an ARN, a UUID); anything else
// is not an event from Secrets Manager.
const ID = /^[\x21-\x7E]{1,2048}$/;
const TOKEN = /^[\x21-\x7E]{32,64}$/;

/** Validates an incoming event; the error names the bad field, never echoes more than a safe excerpt. */
export const parseRotationEvent = (event: unknown): RotationEvent => {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new BadRequestError('Rotation event must be an object with SecretId, ClientRequestToken and Step.');
  }
  const { SecretId, ClientRequestToken, Step } = event as Record<string, unknown>;
  if (typeof SecretId !== 'string' || !ID.test(SecretId)) {
    throw new BadRequestError('Rotation event: SecretId must be a secret ARN or name.', {
      details: { field: 'SecretId' },
    });
  }
  if (typeof ClientRequestToken !== 'string' || !TOKEN.test(ClientRequestToken)) {
    throw new BadRequestError('Rotation event: ClientRequestToken must be 32 to 64 printable characters.', {
      details: { field: 'ClientRequestToken' },
    });
  }
  if (typeof Step !== 'string' || !(STEPS as readonly string[]).includes(Step)) {
    throw new BadRequestError(
      `Rotation event: Step must be one of ${STEPS.join(', ')}, got "${safeText(Step, 32)}".`,
      { details: { field: 'Step' } },
    );
  }
  return { SecretId, ClientRequestToken, Step: Step as RotationStep };
};
