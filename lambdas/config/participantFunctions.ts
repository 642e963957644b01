/**
 * Which Lambda function answers for each participant: the map the state machine's input carries
 * (every Prepare, Commit and Abort task invokes `$.participant.functionArn`) and recovery invokes
 * through. Set at deploy time, so any function that speaks the participant protocol, in this account
 * or another, may take part; nothing derives a function from a participant's name.
 */
import type { ParticipantConfig } from './participantConfig.js';

/** Participant name -> the ARN of its function. */
export type ParticipantFunctions = ReadonlyMap<string, string>;

/** A Lambda function ARN (unqualified or with a version or alias), in any partition. */
export const FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$/;

/** Every configured participant has a function; a function for a participant the config lacks is a mistake too. */
export function checkParticipantFunctions(config: ParticipantConfig, functions: ParticipantFunctions): void {
  const missing = [...config.keys()].filter((name) => !functions.has(name));
  if (missing.length) throw new Error(`the participant directory has no function for: ${missing.join(', ')}`);
  const unknown = [...functions.keys()].filter((name) => !config.has(name));
  if (unknown.length) throw new Error(`the participant directory names participants the config lacks: ${unknown.join(', ')}`);
}

/** The ARN local mode gives a participant: the local engine maps it back to the in-process handler. */
export const localFunctionArn = (participant: string) => `arn:aws:lambda:local:000000000000:function:pakka-participant-${participant}`;

export function localParticipantFunctions(config: ParticipantConfig): ParticipantFunctions {
  return new Map([...config.keys()].map((name) => [name, localFunctionArn(name)]));
}
