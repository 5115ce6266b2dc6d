import { randomInt } from 'node:crypto';

export type AccessTokenState = 'active' | 'pending' | 'deleted';

export interface AccessTokenRecord {
  readonly id: number;
  readonly userId: number;
  readonly secret: string;
  readonly purpose: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly expiresAt: number | null;
  readonly lastUsedAt: number | null;
  readonly scopes: readonly string[];
  readonly workflowState: AccessTokenState;
  /** User-generated (personal) rather than issued through a developer key. */
  readonly manual: boolean;
}

export interface NewAccessToken {
  readonly userId: number;
  readonly purpose: string | null;
  readonly expiresAt: number | null;
  readonly scopes: readonly string[];
  /** Created for another user: unusable until that user activates it. */
  readonly pending: boolean;
  /** Test aid: the secret starts with these characters (a token sharing another's 5-character hint). */
  readonly secretPrefix?: string;
}

export interface AccessTokenChanges {
  readonly purpose?: string;
  readonly expiresAt?: number | null;
  readonly scopes?: readonly string[];
}

/** Canvas's access tokens for the simulated users, soft-deleted rather than removed. */
export interface AccessTokenStore {
  create(input: NewAccessToken): AccessTokenRecord;
  byId(id: number): AccessTokenRecord | undefined;
  /** `:id` of exactly 5 characters is tried as a token hint first, then as a database id. */
  findForUser(userId: number, idParam: string): AccessTokenRecord | undefined;
  listManual(userId: number): AccessTokenRecord[];
  update(id: number, changes: AccessTokenChanges): AccessTokenRecord;
  /** Replaces the secret at once: the old value stops authenticating immediately. */
  regenerate(id: number): AccessTokenRecord;
  softDelete(id: number): AccessTokenRecord;
  /** The record a secret authenticates as right now (touching `last_used_at`), or undefined. */
  authenticate(secret: string): AccessTokenRecord | undefined;
  /** The record holding a secret in any state, without touching it. */
  lookup(secret: string): AccessTokenRecord | undefined;
  isUsable(record: AccessTokenRecord): boolean;
  isExpired(record: AccessTokenRecord): boolean;
  /** Remembers the current tokens as the state `reset()` returns to. */
  markInitial(): void;
  reset(): void;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Canvas's token shape: `<shard>~<64 alphanumerics>`; its first 5 characters are the hint. */
export const generateCanvasTokenSecret = (): string => {
  let random = '';
  for (let i = 0; i < 64; i += 1) random += ALPHABET[randomInt(ALPHABET.length)];
  return `1~${random}`;
};

type MutableRecord = { -readonly [K in keyof AccessTokenRecord]: AccessTokenRecord[K] };

export const makeAccessTokenStore = (now: () => number): AccessTokenStore => {
  let records = new Map<number, MutableRecord>();
  let bySecret = new Map<string, number>();
  let nextId = 1;
  let initial: { records: MutableRecord[]; nextId: number } = { records: [], nextId: 1 };

  const get = (id: number): MutableRecord => {
    const record = records.get(id);
    if (!record) throw new Error(`no access token ${id}`);
    return record;
  };
  const snapshot = (record: MutableRecord): AccessTokenRecord => ({ ...record, scopes: [...record.scopes] });
  const isExpired = (record: AccessTokenRecord): boolean =>
    record.expiresAt !== null && record.expiresAt <= now();
  const isUsable = (record: AccessTokenRecord): boolean =>
    record.workflowState === 'active' && !isExpired(record);
  const live = (userId: number): MutableRecord[] =>
    [...records.values()].filter((record) => record.userId === userId && record.workflowState !== 'deleted');

  return {
    create: (input) => {
      const at = now();
      const prefix = input.secretPrefix ?? '';
      const fresh = () => prefix + generateCanvasTokenSecret().slice(prefix.length);
      let secret = fresh();
      while (bySecret.has(secret)) secret = fresh();
      const record: MutableRecord = {
        id: nextId,
        userId: input.userId,
        secret,
        purpose: input.purpose,
        createdAt: at,
        updatedAt: at,
        expiresAt: input.expiresAt,
        lastUsedAt: null,
        scopes: [...input.scopes],
        workflowState: input.pending ? 'pending' : 'active',
        manual: true,
      };
      nextId += 1;
      records.set(record.id, record);
      bySecret.set(secret, record.id);
      return snapshot(record);
    },
    byId: (id) => {
      const record = records.get(id);
      return record && snapshot(record);
    },
    findForUser: (userId, idParam) => {
      const candidates = live(userId).sort((a, b) => a.id - b.id);
      const byHint =
        idParam.length === 5 ? candidates.find((record) => record.secret.slice(0, 5) === idParam) : undefined;
      const found =
        byHint ??
        (/^\d+$/.test(idParam) ? candidates.find((record) => record.id === Number(idParam)) : undefined);
      return found && snapshot(found);
    },
    listManual: (userId) =>
      live(userId)
        .filter((record) => record.manual)
        .sort((a, b) => a.createdAt - b.createdAt || a.id - b.id)
        .map(snapshot),
    update: (id, changes) => {
      const record = get(id);
      if (changes.purpose !== undefined) record.purpose = changes.purpose;
      if (changes.expiresAt !== undefined) record.expiresAt = changes.expiresAt;
      if (changes.scopes !== undefined) record.scopes = [...changes.scopes];
      record.updatedAt = now();
      return snapshot(record);
    },
    regenerate: (id) => {
      const record = get(id);
      bySecret.delete(record.secret);
      let secret = generateCanvasTokenSecret();
      while (bySecret.has(secret)) secret = generateCanvasTokenSecret();
      record.secret = secret;
      record.updatedAt = now();
      bySecret.set(secret, id);
      return snapshot(record);
    },
    softDelete: (id) => {
      const record = get(id);
      record.workflowState = 'deleted';
      record.updatedAt = now();
      return snapshot(record);
    },
    authenticate: (secret) => {
      const id = bySecret.get(secret);
      const record = id === undefined ? undefined : records.get(id);
      if (!record || !isUsable(record)) return undefined;
      record.lastUsedAt = now();
      return snapshot(record);
    },
    lookup: (secret) => {
      const id = bySecret.get(secret);
      const record = id === undefined ? undefined : records.get(id);
      return record && snapshot(record);
    },
    isUsable,
    isExpired,
    markInitial: () => {
      initial = {
        records: [...records.values()].map((record) => ({ ...record, scopes: [...record.scopes] })),
        nextId,
      };
    },
    reset: () => {
      records = new Map(
        initial.records.map((record) => [record.id, { ...record, scopes: [...record.scopes] }]),
      );
      bySecret = new Map(initial.records.map((record) => [record.secret, record.id]));
      nextId = initial.nextId;
    },
  };
};
