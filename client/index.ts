/** Pakka's HTTP API client: the client, its errors, the SigV4 signer and the API's answer types. */
export { DEFAULT_URL, type ListOptions, PakkaClient, type PakkaClientOptions, type SubmitOptions, type Submitted } from './pakkaClient.js';
export { ApiCallError, SigningError, UnreachableError } from './errors.js';
export { EXECUTE_API, type OutgoingRequest, type RequestSigner, type SigV4Options, executeApiRegion, sigv4Signer } from './sigv4.js';
export type * from './answers.js';
