/** A sealed token, every binary field base64-encoded so it can be stored as plain strings. */
export interface Envelope {
  /** Which key wrapped the data key (KMS key ARN, or `local:<id>`). */
  readonly keyRef: string;
  /** The data key, encrypted by `keyRef` (absent when the key is used directly). */
  readonly encryptedKey?: string;
  readonly iv: string;
  readonly tag: string;
  readonly ciphertext: string;
}

/**
 * Binds a ciphertext to the item it lives in (credential, variant, version): a ciphertext copied
 * into another item does not open. Passed as KMS encryption context and as AES-GCM additional data.
 */
export type EncryptionContext = Readonly<Record<string, string>>;

/** Port: envelope encryption (AES-256-GCM under a data key). Failures: ENCRYPT_FAILED, DECRYPT_FAILED. */
export interface EnvelopeCipher {
  seal(plaintext: string, context: EncryptionContext): Promise<Envelope>;
  open(envelope: Envelope, context: EncryptionContext): Promise<string>;
}
