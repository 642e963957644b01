/** A card-payments kind answered by the team's own function, registered beside Pakka's kinds (construct tests). */
import { z } from 'zod';
import { ownFunctionKind } from '../../lambdas/participants/barrier/kind.js';
import { itemKey, positiveMinorUnits } from '../../lambdas/participants/kinds/fields.js';
import { BUILT_IN_KINDS, kindRegistry } from '../../lambdas/participants/kinds/index.js';

const charge = z.strictObject({ op: z.literal('charge'), key: itemKey, amount: positiveMinorUnits });

export const cardKind = ownFunctionKind({ name: 'card', description: 'card payments (construct test)', operation: charge, operationNames: ['charge'] });
export const ownFunctionKinds = kindRegistry([...BUILT_IN_KINDS.values(), cardKind]);
