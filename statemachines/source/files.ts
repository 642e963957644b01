/** The committed ASL files and the text each must hold, generated from the one definition. */
import { fileURLToPath } from 'node:url';
import { COORDINATOR_VARIANTS, type CoordinatorVariant, aslFileName } from '../../lambdas/config/coordinatorVariant.js';
import { checkDefinition, render } from './asl.js';
import { twoPhaseCommit } from './twoPhaseCommit.js';

/** Where the committed ASL of a variant lives; the local engine and CDK both read this file. */
export const aslPath = (variant: CoordinatorVariant): string => fileURLToPath(new URL(`../${aslFileName(variant)}`, import.meta.url));

export function generatedFiles(): Map<string, string> {
  return new Map(
    COORDINATOR_VARIANTS.map((variant) => {
      const definition = twoPhaseCommit(variant);
      checkDefinition(definition);
      return [aslPath(variant), render(definition)];
    }),
  );
}
