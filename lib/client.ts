/** `pakka/client`: the typed client of Pakka's HTTP API, signing with SigV4 for a deployed API. */
export * from '../client/index.js';
