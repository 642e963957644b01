/**
 * The `pakka` command: submit, follow and inspect transactions over the HTTP API, and run the demo.
 * Exit codes: 0 committed (or done), 1 aborted (or a demo or verify check failed), 2 error, 3 not final yet.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { LIST_STATUSES, type ListStatus } from '../lambdas/api/listStatuses.js';
import { ApiCallError, ConnectionFlagsError, DEFAULT_URL, SigningError, type TransactionStatus, UnreachableError, clientFor, signingRegion } from './client.js';
import { cloudWatchIn } from './cloudWatch.js';
import { runVerify } from './verify.js';
import { runDemo, scenarioNamed, summaryText } from './demo.js';
import { eventsText, inspectionText, itemText, listText, participantsText, recoveryText, resolvedText, transactionText, verifyText } from './format.js';
import { runTop } from './topCommand.js';
import { DEFAULT_CONSOLE_PORT, runConsole } from './consoleCommand.js';

export const EXIT = { committed: 0, aborted: 1, error: 2, pending: 3 } as const;

/** A failure the user can fix, reported as one line and exit code 2. */
class UsageError extends Error {}

interface GlobalOptions {
  url: string;
  sigv4?: boolean;
  region?: string;
  json?: boolean;
}

function readRequest(file: string): string {
  let text: string;
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${file === '-' ? 'standard input' : file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${file === '-' ? 'standard input' : file} is not JSON: ${(error as Error).message}`);
  }
  return text;
}

const exitFor = (view: { status: string }) => (view.status === 'COMMITTED' ? EXIT.committed : view.status === 'ABORTED' ? EXIT.aborted : EXIT.pending);

export function program(out: (text: string) => void, err: (text: string) => void): { cli: Command; exitCode: () => number } {
  let exitCode: number = EXIT.committed;
  const cli = new Command('pakka')
    .description('Submit and inspect two-phase commit transactions on a running Pakka (npm start, or the API on AWS).')
    .addOption(
      new Option(
        '--url <url>',
        'the Pakka API: the local service, or the stack output ApiUrl (requests to *.execute-api.*.amazonaws.com are signed with SigV4)',
      )
        .env('PAKKA_URL')
        .default(DEFAULT_URL),
    )
    .option(
      '--sigv4',
      'sign every request with SigV4 (AWS credentials from the usual chain) even though the URL is not an execute-api one, e.g. a custom domain',
    )
    .option('--region <region>', 'the region to sign for (implies --sigv4; default: the one in the URL, else AWS_REGION)')
    .option('--json', 'print JSON for scripts instead of tables')
    .showHelpAfterError()
    .configureOutput({ writeOut: out, writeErr: err })
    .exitOverride();
  const globals = () => cli.opts<GlobalOptions>();
  const client = () => clientFor(globals());
  const print = (human: string, json: unknown) => out(`${globals().json ? JSON.stringify(json, null, 2) : human}\n`);
  const showTransaction = (view: TransactionStatus) => {
    print(transactionText(view), view);
    exitCode = exitFor(view);
  };

  cli
    .command('submit')
    .description('submit a transaction request (a JSON file, or - for standard input) and print its outcome')
    .argument('<file>', 'request file, or - to read standard input')
    .option('--no-wait', 'return as soon as the transaction is accepted')
    .option('--idempotency-key <key>', 'retries with the same key and body return the same transaction')
    .option('--timeout <seconds>', 'how long to follow the transaction', positiveSeconds, 120)
    .action(async (file: string, options: { wait: boolean; idempotencyKey?: string; timeout: number }) => {
      const body = readRequest(file);
      const submitted = await client().submit(body, { wait: options.wait, ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}) });
      if (!options.wait) {
        const { txnId, status } = submitted.final ? submitted.transaction : submitted;
        print(`${txnId}  ${status} (accepted; follow it with: pakka status ${txnId})`, { txnId, status });
        exitCode = submitted.final ? exitFor(submitted.transaction) : EXIT.committed;
        return;
      }
      showTransaction(submitted.final ? submitted.transaction : await client().waitFor(submitted.txnId, options.timeout * 1000));
    });

  cli
    .command('status')
    .description('show a transaction: its status, decision and each participant')
    .argument('<txnId>')
    .action(async (txnId: string) => showTransaction(await client().transaction(txnId)));

  cli
    .command('list')
    .description('list transactions: newest first, or the oldest (most stuck) first for a status not yet final (PREPARING, COMMITTING, ABORTING, OPEN)')
    .addOption(new Option('--status <status>', 'only this status (OPEN: every one not final)').choices(LIST_STATUSES))
    .option('--limit <n>', 'how many', '20')
    .option('--cursor <cursor>', 'continue from a previous listing')
    .action(async (options: { status?: ListStatus; limit: string; cursor?: string }) => {
      const page = await client().list({
        limit: Number(options.limit),
        ...(options.status ? { status: options.status } : {}),
        ...(options.cursor ? { cursor: options.cursor } : {}),
      });
      print(`${listText(page.transactions)}${page.nextCursor ? `\n\nmore: pakka list --cursor ${page.nextCursor}` : ''}`, page);
    });

  cli
    .command('inspect')
    .description("show the coordinator's log record beside each participant's record and locks, and the timeline of each phase and participant")
    .argument('<txnId>')
    .action(async (txnId: string) => {
      const inspection = await client().inspect(txnId);
      print(inspectionText(inspection), inspection);
      exitCode = exitFor(inspection.transaction);
    });

  cli
    .command('console')
    .description('the web console on this machine for the API at --url (on AWS: calls are signed with your AWS credentials; Ctrl-C stops)')
    .option('--port <port>', 'local port for the console', String(DEFAULT_CONSOLE_PORT))
    // --region is the global option (the region to sign for): a second one here was never reached, the global took it.
    .action(async (options: { port: string }) => {
      const port = Number(options.port);
      if (!/^\d+$/.test(options.port) || port > 65535) throw new UsageError(`--port must be a number from 0 to 65535, not '${options.port}'`);
      const { url, region } = globals();
      await runConsole({ url, port, ...(region ? { region } : {}), out });
    });

  cli
    .command('top')
    .description(
      'a live view of the running Pakka: rate, success rate, latency per phase, active and in-doubt transactions, slowest participants (Ctrl-C stops)',
    )
    .option('--once', 'print one snapshot (over one interval) and exit')
    .option('--interval <seconds>', 'seconds between readings', '2')
    .action(async (options: { once?: boolean; interval: string }) => {
      const seconds = Number(options.interval);
      if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 3600)
        throw new UsageError(`--interval must be a number of seconds from 0.1 to 3600, not '${options.interval}'`);
      await runTop(client(), {
        intervalMs: seconds * 1000,
        once: options.once === true,
        show: (view, text) => print(text, view),
        tty: process.stdout.isTTY === true && globals().json !== true,
        write: out,
      });
    });

  cli
    .command('events')
    .description('the latest outcome events (TransactionCommitted, TransactionAborted), newest first, as EventBridge carries them on AWS')
    .option('--limit <n>', 'how many (1-1000)', '20')
    .action(async (options: { limit: string }) => {
      const events = await client().events(Number(options.limit));
      print(eventsText(events), events);
    });

  cli
    .command('item')
    .description("show one participant's item (balance, stock, holder...) and its lock")
    .argument('<participant>')
    .argument('<key>')
    .action(async (participant: string, key: string) => {
      const item = await client().item(participant, key);
      if (!item) throw new UsageError(`participant '${participant}' has no item '${key}'`);
      print(itemText(item), item);
    });

  cli
    .command('participants')
    .description('list the configured participants, their kinds and operations')
    .action(async () => {
      const participants = await client().participants();
      print(participantsText(participants), participants);
    });

  cli
    .command('recover')
    .description('run a recovery sweep now: finish transactions left in doubt past their deadline (presumed abort)')
    .action(async () => {
      const run = await client().recover();
      // The JSON is the API's answer: the counts, or (deployed API) where to follow the sweep.
      print(recoveryText(run), run.kind === 'finished' ? run.summary : run.started);
      // A sweep started in the background is done as far as this command goes: it cannot know more.
      exitCode = run.kind === 'finished' && (run.summary.pending || run.summary.errors) ? EXIT.pending : EXIT.committed;
    });

  cli
    .command('resolve')
    .description(
      "decide a stuck transaction by hand (only while no decision is logged, even while its coordinator runs); recorded as the operator's, then delivered",
    )
    .argument('<txnId>')
    .option('--commit', 'commit: only if every participant is known to have voted yes')
    .option('--abort', 'abort: allowed at any moment while undecided')
    .requiredOption('--operator <name>', 'who decides (letters, digits, . _ @ -)')
    .requiredOption('--reason <text>', 'why, for the record')
    .action(async (txnId: string, options: { commit?: boolean; abort?: boolean; operator: string; reason: string }) => {
      if (options.commit === options.abort) throw new UsageError('say --commit or --abort (exactly one)');
      const resolved = await client().resolve(txnId, {
        decision: options.commit ? 'COMMIT' : 'ABORT',
        operator: options.operator,
        reason: options.reason,
      });
      print(resolvedText(resolved), resolved);
      exitCode = resolved.final ? (resolved.decision === 'COMMIT' ? EXIT.committed : EXIT.aborted) : EXIT.pending;
    });

  cli
    .command('demo')
    .description('run the example scenarios (upi, wedding, shop, cinema) against the running Pakka')
    .argument('[name]', 'one scenario only')
    .action(async (name: string | undefined) => {
      const scenarios = scenarioNamed(name);
      const quiet = globals().json === true;
      const reports = await runDemo(client(), scenarios, (line) => !quiet && out(`${line}\n`));
      print(`\n${summaryText(reports)}`, reports);
      exitCode = reports.every((r) => r.passed) ? EXIT.committed : EXIT.aborted;
    });

  cli
    .command('verify')
    .description(
      'check a deployment end to end (right after cdk deploy, or npm start): a commit, an abort with its reason, idempotency, a stuck transaction finished by recovery, metrics and alarms; exit 1 if any check fails',
    )
    .option('--stack <name>', "the stack's name, which prefixes its alarms (on AWS)", stackName, 'Pakka')
    .option(
      '--recovery-timeout <seconds>',
      'how long recovery may take to finish the stuck transaction (its deadline and grace included)',
      positiveSeconds,
      300,
    )
    .option('--metrics-timeout <seconds>', "how long CloudWatch may take to show this run's outcomes (on AWS)", positiveSeconds, 300)
    .action(async (options: { stack: string; recoveryTimeout: number; metricsTimeout: number }) => {
      const region = signingRegion(globals());
      const quiet = globals().json === true;
      const reports = await runVerify({
        client: client(),
        ...(region ? { cloudWatch: cloudWatchIn(region) } : {}),
        stackName: options.stack,
        recoveryTimeoutMs: options.recoveryTimeout * 1000,
        metricsTimeoutMs: options.metricsTimeout * 1000,
        progress: (report) => !quiet && out(`${report.result === 'failed' ? 'FAILED' : report.result.padEnd(7)} ${report.check}\n`),
      });
      print(`\n${verifyText(reports)}`, reports);
      exitCode = reports.some((r) => r.result === 'failed') ? EXIT.aborted : EXIT.committed;
    });

  // Commander's implicit help command is not one of the commands, so `pakka help help` was an unknown
  // command (exit 2); this one is, and it answers for itself like any other.
  cli.helpCommand(false);
  cli
    .command('help')
    .description('display help for a command, or for pakka')
    .argument('[command]', 'the command')
    .action((name: string | undefined) => {
      if (name === undefined) return void cli.outputHelp();
      const command = cli.commands.find((c) => c.name() === name || c.aliases().includes(name));
      if (!command) throw new UsageError(`unknown command '${name}'; the commands: ${cli.commands.map((c) => c.name()).join(', ')}`);
      command.outputHelp();
    });

  return { cli, exitCode: () => exitCode };
}

/** Runs the CLI; resolves to the exit code. */
export async function main(
  argv: string[],
  out = (text: string) => void process.stdout.write(text),
  err = (text: string) => void process.stderr.write(text),
): Promise<number> {
  const { cli, exitCode } = program(out, err);
  try {
    await cli.parseAsync(argv);
    return exitCode();
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT.error; // help and version exit 0
    if (error instanceof ApiCallError) {
      err(`pakka: ${error.status} ${error.error.code}: ${error.message}${error.error.field ? ` [${error.error.field}]` : ''}\n`);
    } else if (error instanceof UsageError || error instanceof UnreachableError || error instanceof SigningError || error instanceof ConnectionFlagsError) {
      err(`pakka: ${error.message}\n`);
    } else {
      err(`pakka: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    return EXIT.error;
  }
}

/** `--timeout abc` would wait forever (NaN never passes): refuse it as a usage error. */
function positiveSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new InvalidArgumentError('must be a positive number of seconds');
  return seconds;
}

/** A stack name as CDK context pakka:stackName allows it (infra/settings.ts): it prefixes the alarms. */
function stackName(value: string): string {
  if (!/^[A-Za-z][A-Za-z0-9-]{0,22}$/.test(value)) throw new InvalidArgumentError('must be a stack name: 1-23 letters, digits or -, starting with a letter');
  return value;
}
