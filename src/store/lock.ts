import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';

/**
 * Who holds a PGlite data directory. PGlite is one Postgres backend inside one process: a second
 * process opening the same directory corrupts it, so every process takes this lock first.
 */
export interface LockHolder {
  pid: number;
  host: string;
  /** Random per holder: tells one holder's file from the next one's, and admits its clients. */
  token: string;
  /** `app` owns the directory for as long as it runs and serves it to commands; `command` uses it alone. */
  role: 'app' | 'command';
  /** What the holder is, for the message another process prints ("dealrisk import"). */
  label: string;
  startedAt: string;
  /** The kernel's boot id and the process's start time: a pid reused after the holder died differs. */
  identity: string | null;
  /** Where an `app` holder serves the database to commands. */
  socket: string | null;
  /** Why an `app` holder serves no socket (the file system would not have one). */
  note?: string;
}

export interface HeldLock {
  readonly holder: LockHolder;
  /** Rewrites what the lock says about its holder, in one step (written aside, renamed over). */
  update(changes: Pick<LockHolder, 'socket' | 'note'>): void;
  /** Removes the lock file if it is still this holder's. */
  release(): void;
}

export type LockResult = { acquired: true; lock: HeldLock } | { acquired: false; holder: LockHolder; verifiable: boolean };

const ATTEMPTS = 50;

/**
 * Takes `file` for this process, or reports the live holder. The file is created whole and at
 * once (written aside, then hard-linked into place), so a reader never sees half of it: a file
 * that does not parse was not written here and is taken over, as is a lock whose process is gone
 * (killed, crashed).
 */
export async function acquireLock(file: string, me: Pick<LockHolder, 'role' | 'label' | 'socket'>): Promise<LockResult> {
  const holder: LockHolder = {
    ...me,
    pid: process.pid,
    host: os.hostname(),
    token: randomBytes(18).toString('base64url'),
    startedAt: new Date().toISOString(),
    identity: processIdentity(process.pid),
  };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (createExclusive(file, JSON.stringify(holder))) return { acquired: true, lock: heldLock(file, holder) };
    const current = readHolder(file);
    if (current === 'missing') continue;
    if (current !== 'unreadable') {
      const state = holderState(current);
      if (state !== 'gone') return { acquired: false, holder: current, verifiable: state === 'alive' };
    }
    await breakStale(file, current === 'unreadable' ? null : current.token);
  }
  throw new Error(`could not take the lock ${file}: it kept changing hands`);
}

/** The holder recorded in `file`, if any. */
export function readHolder(file: string): LockHolder | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw e;
  }
  try {
    const h = JSON.parse(text) as Partial<LockHolder>;
    return typeof h.pid === 'number' && typeof h.token === 'string' && typeof h.host === 'string' ? (h as LockHolder) : 'unreadable';
  } catch (e) {
    void e; // not ours: the lock is always written whole
    return 'unreadable';
  }
}

/**
 * `alive`: the process runs and is the one that wrote the lock. `gone`: it does not run, or its
 * pid now belongs to another process. `unknown`: it runs on another host, which this one cannot see.
 */
export function holderState(h: LockHolder): 'alive' | 'gone' | 'unknown' {
  if (h.host !== os.hostname()) return 'unknown';
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    // EPERM: the pid exists but belongs to another user.
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return 'gone';
  }
  const now = processIdentity(h.pid);
  if (h.identity && now && now !== h.identity) return 'gone';
  return 'alive';
}

/**
 * Linux: the boot id and the process's start time in clock ticks since boot (field 22 of
 * /proc/<pid>/stat, after the parenthesised command name). Elsewhere null: the pid alone is checked.
 */
export function processIdentity(pid: number): string | null {
  try {
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return `${boot}:${fields[19]}`;
  } catch (e) {
    void e; // no /proc (macOS, Windows) or the process just ended
    return null;
  }
}

function heldLock(file: string, holder: LockHolder): HeldLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    const current = readHolder(file);
    if (typeof current === 'object' && current.token === holder.token) unlinkSync(file);
  };
  const update = (changes: Pick<LockHolder, 'socket' | 'note'>) => {
    Object.assign(holder, changes);
    const aside = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
    writeFileSync(aside, JSON.stringify(holder), { mode: 0o600, flag: 'wx' });
    renameSync(aside, file);
  };
  // A process that exits without closing the store leaves no lock behind for the next one to judge.
  process.on('exit', release);
  return { holder, release, update };
}

/** Creates `file` with `content`, whole, unless it exists. */
function createExclusive(file: string, content: string): boolean {
  const aside = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
  writeFileSync(aside, content, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(aside, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    unlinkSync(aside);
  }
}

/**
 * Removes a stale lock, but only the one judged stale: two processes may judge it at once, and
 * the slower one must not remove the lock the faster one has just taken. `file.break` makes the
 * re-check and the removal one step; a breaker that dies inside that step leaves a `.break`
 * whose pid is gone, which the next breaker removes.
 */
async function breakStale(file: string, staleToken: string | null): Promise<void> {
  const breaker = `${file}.break`;
  let fd: number;
  try {
    fd = openSync(breaker, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    // A live breaker holds it for a few system calls; an old one whose pid is gone died there.
    const pid = Number(readText(breaker));
    if (olderThan(breaker, 1000) && !(pid > 0 && pidRuns(pid))) removeIfPresent(breaker);
    else await sleep(20);
    return;
  }
  try {
    writeFileSync(fd, String(process.pid));
    const current = readHolder(file);
    const same = staleToken === null ? current === 'unreadable' : typeof current === 'object' && current.token === staleToken;
    if (same) unlinkSync(file);
  } finally {
    closeSync(fd);
    unlinkSync(breaker);
  }
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

export function removeIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

function pidRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function olderThan(file: string, ms: number): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > ms;
  } catch (e) {
    void e; // gone meanwhile: nothing left to judge
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
