/**
 * SigV4 signing for the deployed API (IAM authorization, service `execute-api`), with the AWS SDK's
 * own signer and the standard credential chain (environment, profile, SSO, container, instance role).
 * It knows nothing of Pakka's routes, so anything that forwards requests to the API can sign with it.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

/** Credentials as the signer takes them: fixed keys, or a provider it asks before each signature. */
type Credentials = ConstructorParameters<typeof SignatureV4>[0]['credentials'];
type CredentialProvider = Extract<Credentials, () => unknown>;

export const EXECUTE_API = 'execute-api';

/** `{api-id}.execute-api.{region}.amazonaws.com` (and `.amazonaws.com.cn` in the China regions). */
const EXECUTE_API_HOST = /^[a-z0-9]+\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/;

/** The region of an API Gateway default endpoint, or undefined for any other host (a custom domain, localhost). */
export function executeApiRegion(url: string | URL): string | undefined {
  const hostname = (typeof url === 'string' ? new URL(url) : url).hostname.toLowerCase();
  return EXECUTE_API_HOST.exec(hostname)?.[1];
}

export interface SigV4Options {
  region: string;
  /** Default: the AWS SDK's node provider chain, loaded on the first request. */
  credentials?: Credentials;
  /** Default `execute-api`. */
  service?: string;
}

/** A request as it will go on the wire: the URL carries the path and query exactly as sent. */
export interface OutgoingRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

/** Returns the headers to send: the request's own plus `authorization`, `x-amz-date`, and so on. */
export type RequestSigner = (request: OutgoingRequest) => Promise<Record<string, string>>;

/** The credential chain, imported only when a request is signed: plain HTTP to the local service never loads it. */
function nodeProviderChain(): CredentialProvider {
  let provider: Promise<CredentialProvider> | undefined;
  return async () => {
    provider ??= import('@aws-sdk/credential-providers').then((m) => m.fromNodeProviderChain());
    return (await provider)();
  };
}

/** The failure to find or use credentials, told apart from the API refusing a signed request. */
export class SigningError extends Error {
  constructor(cause: unknown) {
    super(
      `cannot sign the request with AWS credentials (${cause instanceof Error ? cause.message : String(cause)}); set AWS_PROFILE, run aws sso login, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`,
      { cause },
    );
    this.name = 'SigningError';
  }
}

export function sigv4Signer(options: SigV4Options): RequestSigner {
  const signer = new SignatureV4({
    service: options.service ?? EXECUTE_API,
    region: options.region,
    credentials: options.credentials ?? nodeProviderChain(),
    sha256: Sha256,
  });
  return async ({ method, url, headers, body }) => {
    try {
      const signed = await signer.sign({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        // As sent (percent-encoded once); the signer encodes it again, as SigV4 wants for every service but S3.
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: { ...headers, host: url.host },
        ...(body !== undefined ? { body } : {}),
      });
      // fetch sets Host itself, from the same URL.
      const { host: _host, ...rest } = signed.headers;
      return rest;
    } catch (error) {
      throw new SigningError(error);
    }
  };
}
