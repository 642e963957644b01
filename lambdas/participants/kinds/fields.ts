/** Validation rules for the fields operations share, so every kind states them the same way. */
import { z } from 'zod';

export const MAX_MINOR_UNITS = 1_000_000_000_000_000; // 10^15 minor units: far below 2^53, so exact in JSON and DynamoDB

export const itemKey = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:@/-]{0,127}$/, 'must be 1-128 characters: letters, digits and . _ : @ / - (not first)');

/** Money and quantities: positive integers in minor units, never floats. */
export const positiveMinorUnits = z
  .number({ error: 'must be a number' })
  .int('must be an integer (minor units, e.g. paise or cents)')
  .positive('must be greater than zero')
  .max(MAX_MINOR_UNITS, `must be at most ${MAX_MINOR_UNITS}`);

export const holder = z.string().min(1, 'must not be empty').max(128, 'must be at most 128 characters');
export const message = z.string().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters');
