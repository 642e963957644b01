/**
 * The client the `pakka` command talks through, chosen from its flags: plain HTTP to the local
 * service, SigV4 to the deployed API (automatically for an API Gateway URL, or with --sigv4/--region
 * for a custom domain name in front of it).
 */
import { PakkaClient, executeApiRegion } from '../client/index.js';

// The CLI's modules name the client and its types through here; code outside the CLI imports client/index.js.
export { ApiCallError, DEFAULT_URL, PakkaClient, SigningError, UnreachableError } from '../client/index.js';
export type {
  Inspection,
  ItemView as Item,
  OutcomeEvent,
  ParticipantInfo,
  Resolved,
  SweepRun,
  SweepSummary,
  TransactionList,
  TransactionStatus,
} from '../client/index.js';

export interface ConnectionFlags {
  url: string;
  /** --sigv4: sign even though the URL is not an API Gateway endpoint. */
  sigv4?: boolean;
  /** --region: the region to sign for (implies --sigv4). */
  region?: string;
}

/** A flag combination that cannot work, reported to the user as it is. */
export class ConnectionFlagsError extends Error {}

/** How the CLI signs: not at all, or for a region (`--region`, else the URL's, else AWS_REGION with --sigv4). */
export function signingRegion(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): string | undefined {
  let fromUrl: string | undefined;
  try {
    fromUrl = executeApiRegion(flags.url);
  } catch {
    throw new ConnectionFlagsError(`--url '${flags.url}' is not a URL`);
  }
  if (flags.region) return flags.region;
  if (fromUrl) return fromUrl;
  if (!flags.sigv4) return undefined;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new ConnectionFlagsError(`--sigv4 needs a region: the URL ${flags.url} names none; say --region or set AWS_REGION`);
  return region;
}

export function clientFor(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): PakkaClient {
  const region = signingRegion(flags, env);
  return new PakkaClient(flags.url, { sigv4: region ? { region } : false });
}
