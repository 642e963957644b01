/** The `pakka` command run as a process (bin/pakka.js, as npm installs it). */
import { execFile } from 'node:child_process';

const BIN = new URL('../../bin/pakka.js', import.meta.url).pathname;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** `env` is the whole environment of the process (nothing of this one leaks in unless passed). */
export function runPakka(args: string[], options: { env: NodeJS.ProcessEnv; stdin?: string }): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, ...args], { env: options.env, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
    child.stdin?.end(options.stdin ?? '');
  });
}

/** This environment without any AWS setting, so that a test decides alone what credentials the CLI finds. */
export function envWithoutAws(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_') && key !== 'PAKKA_URL'));
}
