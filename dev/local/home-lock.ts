import { randomBytes } from 'node:crypto';
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreUnavailableError } from '../../shared/core/errors.ts';

export const HOME_LOCK_FILE = 'broker.lock';

/** What a lock file holds: enough to tell a live holder from a crashed one. */
interface LockOwner {
  readonly pid: number;
  /** The holder's start time as the kernel counts it (Linux `/proc/<pid>/stat`), when known. */
  readonly started?: string;
  /** Unique per claim, so a takeover can tell its own lock from someone else's. */
  readonly nonce: string;
}

export interface HomeLock {
  readonly path: string;
  /** Removes the lock file if it is still this claim's; safe to call twice. */
  release(): Promise<void>;
}

/**
 * A process's start time from `/proc/<pid>/stat` (field 22, in clock ticks since boot), or
 * undefined off Linux. It tells a live holder from an unrelated process that reused a dead
 * holder's pid; without it the pid alone decides.
 */
const startTimeOf = async (pid: number): Promise<string | undefined> => {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: count after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
};

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const parseOwner = (text: string): LockOwner | undefined => {
  // A bare pid: the dynalite folder lock as earlier versions wrote it, perhaps by one still running.
  if (/^\d{1,10}\s*$/.test(text)) {
    const pid = Number.parseInt(text, 10);
    return pid > 0 ? { pid, nonce: '' } : undefined;
  }
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (!Number.isSafeInteger(value.pid) || (value.pid as number) <= 0 || typeof value.nonce !== 'string') {
      return undefined;
    }
    return {
      pid: value.pid as number,
      nonce: value.nonce,
      ...(typeof value.started === 'string' ? { started: value.started } : {}),
    };
  } catch {
    return undefined;
  }
};

const readLock = async (path: string): Promise<string | undefined> => {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
};

/** A holder is live when its pid runs and, where the kernel tells, it is the same process. */
const holdsLock = async (owner: LockOwner | undefined): Promise<boolean> => {
  if (owner === undefined || !isAlive(owner.pid)) return false;
  if (owner.started === undefined) return true;
  const started = await startTimeOf(owner.pid);
  return started === undefined || started === owner.started;
};

/** What a lock refuses with when its holder is alive. */
export interface LockHolder {
  readonly pid: number;
}

/**
 * Claims the lock file at `path` for this process, or throws `inUse(holder)` while another live
 * process holds it. A refused claim writes nothing: it only reads the lock file.
 *
 * The lock is a file created atomically with its full content (written to a temp file, then
 * hard-linked into place: `link` fails with EEXIST when the lock exists, so two claims can never
 * both create it, and a reader never sees it half written). It names the holder's pid and, on
 * Linux, the holder's start time, so a lock left by a crashed process is recognised as stale even
 * when its pid has been reused, and taken over. Takeover moves the stale file aside under a name of
 * its own, checks that what it moved is the stale lock it judged (not a fresh claim that won a race
 * meanwhile, which it puts back), and only then claims. (Node has no flock(2); a pid lock is what
 * works on every platform.)
 */
export const claimLockFile = async (
  path: string,
  inUse: (holder: LockHolder) => Error,
): Promise<HomeLock> => {
  const nonce = randomBytes(8).toString('hex');
  const started = await startTimeOf(process.pid);
  const mine: LockOwner = { pid: process.pid, nonce, ...(started === undefined ? {} : { started }) };
  const mineText = `${JSON.stringify(mine)}\n`;

  for (let attempt = 0; attempt < 3; attempt += 1) {
    const existing = await readLock(path);
    if (existing !== undefined) {
      const owner = parseOwner(existing);
      if (owner !== undefined && (await holdsLock(owner))) throw inUse(owner);
      // Stale (or unreadable): move it aside, then make sure it was the file judged stale.
      const aside = `${path}.${nonce}.stale`;
      try {
        await rename(path, aside);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      const moved = await readLock(aside);
      if (moved !== existing) {
        // A concurrent claim won between our read and our rename: give its lock back.
        await link(aside, path).catch(() => undefined);
        await rm(aside, { force: true });
        const winner = parseOwner(moved ?? '');
        if (winner !== undefined) throw inUse(winner);
        continue;
      }
      await rm(aside, { force: true });
    }
    const temp = `${path}.${nonce}.tmp`;
    await writeFile(temp, mineText, { mode: 0o600, flag: 'wx' });
    try {
      await link(temp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      continue;
    } finally {
      await rm(temp, { force: true });
    }
    let released = false;
    return {
      path,
      release: async () => {
        if (released) return;
        released = true;
        // Never remove a lock another process took over (it judged ours stale).
        if ((await readLock(path).catch(() => undefined)) === mineText) await rm(path, { force: true });
      },
    };
  }
  const owner = parseOwner((await readLock(path)) ?? '');
  if (owner !== undefined) throw inUse(owner);
  throw new StoreUnavailableError(`${path} could not be locked; another start is racing for it.`, {
    details: { lockPath: path },
  });
};

/**
 * Claims `home` for this process before anything in it is written: the first step of a local
 * start. A second start on a live home fails here having written nothing, so the running
 * broker's secrets, keys and tables stay byte-for-byte as they were.
 */
export const claimHome = (home: string): Promise<HomeLock> => {
  const path = join(home, HOME_LOCK_FILE);
  return claimLockFile(
    path,
    (holder) =>
      new StoreUnavailableError(
        `BROKER_HOME ${home} is in use by another local broker (process ${holder.pid}); stop that one first, or set BROKER_HOME to another folder. Nothing in it was changed.`,
        { details: { home, lockPath: path, pid: holder.pid } },
      ),
  );
};
