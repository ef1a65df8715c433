import { spawn } from 'node:child_process';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

export interface Child {
  pid: number;
  /** Resolves with the first output line (stdout or stderr) matching `pattern`; rejects if the process exits first. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Writes a line to its stdin. */
  send(line: string): void;
  exited: Promise<Exit>;
  kill(signal: NodeJS.Signals): void;
  /** Everything it printed so far, for failure messages. */
  output(): string;
}

/** A real child process (`node --import tsx <args>`), as the app and the CLI run. */
export function spawnChild(args: string[], env: Record<string, string | undefined>): Child {
  const p = spawn(process.execPath, ['--import', 'tsx', ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const watchers = new Set<() => void>();
  const changed = () => {
    for (const w of watchers) w();
  };
  p.stdout.on('data', (c: Buffer) => {
    out += c.toString();
    changed();
  });
  p.stderr.on('data', (c: Buffer) => {
    err += c.toString();
    changed();
  });
  const exited = new Promise<Exit>((resolve) => p.on('exit', (code, signal) => resolve({ code, signal, out, err })));
  let done = false;
  void exited.then(() => {
    done = true;
    changed();
  });
  return {
    pid: p.pid!,
    line(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = `${out}\n${err}`.split('\n').find((l) => pattern.test(l));
          if (hit !== undefined || done) {
            clearTimeout(timer);
            watchers.delete(check);
            if (hit !== undefined) resolve(hit);
            else reject(new Error(`exited before printing ${pattern}:\n${out}\n${err}`));
          }
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${out}\n${err}`));
        }, timeoutMs);
        watchers.add(check);
        check();
      });
    },
    send: (line) => void p.stdin.write(`${line}\n`),
    exited,
    kill: (signal) => void p.kill(signal),
    output: () => `${out}\n${err}`,
  };
}
