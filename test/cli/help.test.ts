/** `pakka help` for every command, itself included, exits 0 with that command's usage; an unknown one exits 2. */
import { describe, expect, it } from 'vitest';
import { EXIT, main, program } from '../../cli/main.js';

async function pakka(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(
    ['node', 'pakka', ...args],
    (text) => {
      stdout += text;
    },
    (text) => {
      stderr += text;
    },
  );
  return { code, stdout, stderr };
}

describe('pakka help', () => {
  it('helps with itself: pakka help help exits 0 with the help command’s usage', async () => {
    const run = await pakka('help', 'help');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^Usage: pakka help \[options\] \[command\]/);
  });

  it('with no command shows every command; with one, that command’s usage', async () => {
    const all = await pakka('help');
    expect(all.code).toBe(0);
    for (const command of program(
      () => undefined,
      () => undefined,
    ).cli.commands)
      expect(all.stdout).toContain(command.name());
    const list = await pakka('help', 'list');
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^Usage: pakka list/);
  });

  it('exits 2 naming the commands for one that does not exist', async () => {
    const run = await pakka('help', 'nope');
    expect(run.code).toBe(EXIT.error);
    expect(run.stderr).toContain("unknown command 'nope'");
  });
});
