import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { claimHome, HOME_LOCK_FILE } from '../../../dev/local/home-lock.ts';

const homes: string[] = [];
afterEach(async () => {
  for (const home of homes.splice(0)) await rm(home, { recursive: true, force: true });
});

const tempHome = async (): Promise<string> => {
  const home = await mkdtemp(join(tmpdir(), 'broker-lock-'));
  homes.push(home);
  return home;
};

/**
 * A pid no process can have (above Linux's PID_MAX_LIMIT and any other system's): a crashed holder
 * without relying on a just-exited pid staying unused on a busy machine.
 */
const deadPid = (): number => 0x7fffffff;

describe('claimHome', () => {
  it('claims a home with a lock naming this process, and releases it', async () => {
    const home = await tempHome();
    const lock = await claimHome(home);
    const owner = JSON.parse(await readFile(join(home, HOME_LOCK_FILE), 'utf8')) as { pid: number };
    expect(owner.pid).toBe(process.pid);
    expect(await readdir(home)).toEqual([HOME_LOCK_FILE]);
    await lock.release();
    await lock.release();
    expect(await readdir(home)).toEqual([]);
  });

  it('refuses a second claim while the holder lives, naming it, and leaves the lock as it was', async () => {
    const home = await tempHome();
    const lock = await claimHome(home);
    const before = await readFile(join(home, HOME_LOCK_FILE), 'utf8');
    await expect(claimHome(home)).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringContaining(`is in use by another local broker (process ${process.pid})`),
    });
    expect(await readFile(join(home, HOME_LOCK_FILE), 'utf8')).toBe(before);
    expect(await readdir(home)).toEqual([HOME_LOCK_FILE]);
    await lock.release();
    await (await claimHome(home)).release();
  });

  it('takes over a lock whose holder has exited', async () => {
    const home = await tempHome();
    await writeFile(join(home, HOME_LOCK_FILE), JSON.stringify({ pid: deadPid(), nonce: 'crashed' }));
    const lock = await claimHome(home);
    expect(JSON.parse(await readFile(join(home, HOME_LOCK_FILE), 'utf8'))).toMatchObject({
      pid: process.pid,
    });
    expect(await readdir(home)).toEqual([HOME_LOCK_FILE]);
    await lock.release();
  });

  it('takes over a damaged lock file', async () => {
    const home = await tempHome();
    await writeFile(join(home, HOME_LOCK_FILE), '{"pid":');
    await (await claimHome(home)).release();
  });

  it.runIf(process.platform === 'linux')(
    'takes over a lock whose pid now belongs to another process (a reused pid)',
    async () => {
      const home = await tempHome();
      await writeFile(
        join(home, HOME_LOCK_FILE),
        JSON.stringify({ pid: process.pid, started: '1', nonce: 'from-before-a-reboot' }),
      );
      await (await claimHome(home)).release();
    },
  );

  it('never removes a lock another process has taken over', async () => {
    const home = await tempHome();
    const lock = await claimHome(home);
    const theirs = JSON.stringify({ pid: process.pid, nonce: 'someone-else' });
    await writeFile(join(home, HOME_LOCK_FILE), theirs);
    await lock.release();
    expect(await readFile(join(home, HOME_LOCK_FILE), 'utf8')).toBe(theirs);
  });

  it('lets exactly one of several concurrent claims win', async () => {
    const home = await tempHome();
    await writeFile(join(home, HOME_LOCK_FILE), JSON.stringify({ pid: deadPid(), nonce: 'crashed' }));
    const results = await Promise.allSettled([claimHome(home), claimHome(home), claimHome(home)]);
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(await readdir(home)).toEqual([HOME_LOCK_FILE]);
    await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof claimHome>>>).value.release();
  });

  it('honours a bare-pid lock as earlier versions wrote it: refused while that pid runs, taken over after', async () => {
    const home = await tempHome();
    await writeFile(join(home, HOME_LOCK_FILE), String(process.pid));
    await expect(claimHome(home)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await writeFile(join(home, HOME_LOCK_FILE), String(deadPid()));
    await (await claimHome(home)).release();
  });
});
