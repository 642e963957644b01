/**
 * SigV4 for calls to the deployed API (API Gateway with IAM auth), with the user's credentials from
 * the standard chain (environment, shared config and SSO, process, container and instance roles).
 * One small module so that a typed API client can share it. Credentials stay in this process.
 */
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

export const API_GATEWAY_SERVICE = 'execute-api';

export interface RequestToSign {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

export type RequestSigner = (request: RequestToSign) => Promise<Record<string, string>>;

/** The region in an execute-api host name (`abc123.execute-api.eu-west-1.amazonaws.com`). */
export function regionOfApiUrl(url: URL): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(url.hostname)?.[1];
}

export interface SignerOptions {
  region: string;
  /** The signing name of the service: API Gateway's by default; `monitoring` for CloudWatch. */
  service?: string;
  credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** For tests that re-sign: the instant to sign at. */
  signingDate?: Date;
}

/** Signs a request; the answer is the headers to send (the request's own plus host, date, token and Authorization). */
export function apiGatewaySigner(options: SignerOptions): RequestSigner {
  const signer = new SignatureV4({
    service: options.service ?? API_GATEWAY_SERVICE,
    region: options.region,
    credentials: options.credentials ?? fromNodeProviderChain(),
    sha256: Hash.bind(null, 'sha256'),
  });
  return async ({ method, url, headers, body }) => {
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const signed = await signer.sign(
      {
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query,
        headers: { ...headers, host: url.host },
        ...(body !== undefined ? { body } : {}),
      },
      options.signingDate ? { signingDate: options.signingDate } : {},
    );
    return signed.headers;
  };
}
