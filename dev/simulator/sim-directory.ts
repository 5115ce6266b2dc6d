import { randomUUID } from 'node:crypto';

export interface SimUser {
  readonly id: number;
  readonly uuid: string;
  readonly name: string;
  readonly sortableName: string;
  readonly accountId: number;
}
export interface SimAccount {
  readonly id: number;
  readonly uuid: string;
  readonly name: string;
  readonly adminUserIds: readonly number[];
}
export interface SimCourse {
  readonly id: number;
  readonly uuid: string;
  readonly name: string;
  readonly accountId: number;
  readonly studentIds: readonly number[];
}

export type ContextType = 'Course' | 'User' | 'Account';
export type SimContext =
  | { readonly type: 'Course'; readonly record: SimCourse }
  | { readonly type: 'User'; readonly record: SimUser }
  | { readonly type: 'Account'; readonly record: SimAccount };

/**
 * The simulated institution: who exists and who may read what. User 1 (the seeded token's owner)
 * administers root account 1, which holds users 1-2 and courses 1-2. Account 2, course 3 and
 * user 3 belong to another institution, so they exist but user 1 may not read them; that makes
 * every context and permission branch of the contract reachable.
 */
export interface SimDirectory {
  readonly rootAccount: SimAccount;
  findUser(id: number): SimUser | undefined;
  findUserByUuid(uuid: string): SimUser | undefined;
  findContext(
    type: ContextType,
    key: { readonly id?: string; readonly uuid?: string },
  ): SimContext | undefined;
  canRead(user: SimUser, context: SimContext): boolean;
  /** Admin rights over another user's account: list, create (pending) and delete their tokens. */
  canManageUser(actor: SimUser, target: SimUser): boolean;
}

/** Canvas global ids: shard 1 prefix, as in the `sub` claim of services JWTs. */
export const globalUserId = (id: number): string => String(10_000_000_000_000 + id);

export const userIdFromGlobal = (globalId: string): number | undefined => {
  if (!/^\d{14}$/.test(globalId)) return undefined;
  const id = Number(globalId) - 10_000_000_000_000;
  return id > 0 ? id : undefined;
};

export const makeSimDirectory = (): SimDirectory => {
  const accounts: SimAccount[] = [
    { id: 1, uuid: randomUUID(), name: 'Simulated University', adminUserIds: [1] },
    { id: 2, uuid: randomUUID(), name: 'Other Institution', adminUserIds: [] },
  ];
  const users: SimUser[] = [
    {
      id: 1,
      uuid: randomUUID(),
      name: 'Credential Broker',
      sortableName: 'Broker, Credential',
      accountId: 1,
    },
    { id: 2, uuid: randomUUID(), name: 'Sam Student', sortableName: 'Student, Sam', accountId: 1 },
    { id: 3, uuid: randomUUID(), name: 'Olive Outsider', sortableName: 'Outsider, Olive', accountId: 2 },
  ];
  const courses: SimCourse[] = [
    { id: 1, uuid: randomUUID(), name: 'Simulated Course', accountId: 1, studentIds: [2] },
    { id: 2, uuid: randomUUID(), name: 'Second Course', accountId: 1, studentIds: [] },
    { id: 3, uuid: randomUUID(), name: 'Foreign Course', accountId: 2, studentIds: [3] },
  ];
  const rootAccount = accounts[0] as SimAccount;

  const isAdminOf = (user: SimUser, accountId: number): boolean =>
    accounts.some((account) => account.id === accountId && account.adminUserIds.includes(user.id));

  const pick = <T extends { readonly id: number; readonly uuid: string }>(
    records: readonly T[],
    key: { readonly id?: string; readonly uuid?: string },
  ): T | undefined =>
    key.uuid !== undefined
      ? records.find((record) => record.uuid === key.uuid)
      : records.find(
          (record) => key.id !== undefined && /^\d+$/.test(key.id) && record.id === Number(key.id),
        );

  return {
    rootAccount,
    findUser: (id) => users.find((user) => user.id === id),
    findUserByUuid: (uuid) => users.find((user) => user.uuid === uuid),
    findContext: (type, key) => {
      if (type === 'Course') {
        const record = pick(courses, key);
        return record && { type, record };
      }
      if (type === 'User') {
        const record = pick(users, key);
        return record && { type, record };
      }
      const record = pick(accounts, key);
      return record && { type, record };
    },
    canRead: (user, context) => {
      switch (context.type) {
        case 'Account':
          return isAdminOf(user, context.record.id);
        case 'Course':
          return isAdminOf(user, context.record.accountId) || context.record.studentIds.includes(user.id);
        case 'User':
          return context.record.id === user.id || isAdminOf(user, context.record.accountId);
      }
    },
    canManageUser: (actor, target) => actor.id === target.id || isAdminOf(actor, target.accountId),
  };
};
