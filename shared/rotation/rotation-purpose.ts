import { fingerprint } from '../core/fingerprint.ts';

/**
 * The start of the `purpose` of every Canvas token this broker's rotation creates for one secret.
 * The full purpose appends the rotation's ClientRequestToken. Tokens are matched on this prefix to
 * find the ones a crashed run created but never stored: the fingerprint ties them to this secret
 * (another secret's rotation on the same Canvas user never touches them) without putting the ARN,
 * which names the account, into Canvas.
 */
export const rotationPurposePrefix = (secretArn: string): string =>
  `canvas-credential-broker rotation ${fingerprint(secretArn)} `;
