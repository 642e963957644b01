/**
 * What an AWS endpoint does with a SigV4 request, for the local stand-ins of API Gateway and
 * CloudWatch: sign the request it received again with the caller's credentials, at the instant the
 * request names, and compare the Authorization headers.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';

/** `20260101T000000Z` as a Date. */
const amzDate = (text: string) =>
  new Date(`${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}T${text.slice(9, 11)}:${text.slice(11, 13)}:${text.slice(13, 15)}Z`);

export interface Signing {
  service: string;
  region: string;
  credentials: AwsCredentialIdentity;
}

export async function signatureValid(signing: Signing, method: string, url: URL, headers: IncomingHttpHeaders, body: string): Promise<boolean> {
  const authorization = headers.authorization ?? '';
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
  if (!signedHeaders.includes('host') || !headers['x-amz-date']) return false;
  const signer = new SignatureV4({ ...signing, sha256: Hash.bind(null, 'sha256') });
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const resigned = await signer.sign(
    {
      method,
      protocol: 'http:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      query,
      headers: Object.fromEntries(signedHeaders.map((name) => [name, String(headers[name] ?? '')])),
      ...(body ? { body } : {}),
    },
    { signingDate: amzDate(String(headers['x-amz-date'])) },
  );
  return resigned.headers.authorization === authorization;
}
