/**
 * The coordinator with fault injection (lambdas/request/coordinatorFault.ts): the committed ASL with
 * one Choice between PrepareAll and what follows it. An execution whose input carries
 * `fault: "stopAfterPrepare"` fails there, after every participant voted yes and before any decision
 * is logged; every other execution passes the Choice unchanged. Only a deployment that enables fault
 * injection gets this definition (CDK and `npm start -- --fault-injection` both build it here); the
 * committed files never hold it.
 */
import { readFileSync } from 'node:fs';
import type { CoordinatorVariant } from '../../lambdas/config/coordinatorVariant.js';
import { PAKKA_ERROR } from '../../lambdas/protocol/errorNames.js';
import { STOP_AFTER_PREPARE } from '../../lambdas/request/coordinatorFault.js';
import { checkDefinition, type StateMachineDefinition } from './asl.js';
import { aslPath } from './files.js';

export const FAULT_CHOICE_STATE = 'InjectedFaultAfterPrepare';
export const FAULT_STOP_STATE = 'StoppedAfterPrepare';
/** The state the fault follows: the prepare phase's fan-out. */
const AFTER = 'PrepareAll';

export function withFaultStates(definition: StateMachineDefinition): StateMachineDefinition {
  const prepare = definition.States[AFTER];
  if (prepare?.Type !== 'Map' || !prepare.Next) throw new Error(`the coordinator has no ${AFTER} Map state with a Next to put the fault after`);
  const faulted: StateMachineDefinition = {
    ...definition,
    States: {
      ...definition.States,
      [AFTER]: { ...prepare, Next: FAULT_CHOICE_STATE },
      [FAULT_CHOICE_STATE]: {
        Type: 'Choice',
        Comment: 'Fault injection (pakka verify): stop here when the request asked for it, before any decision is logged.',
        Choices: [
          {
            And: [
              { Variable: '$.fault', IsPresent: true },
              { Variable: '$.fault', StringEquals: STOP_AFTER_PREPARE },
            ],
            Next: FAULT_STOP_STATE,
          },
        ],
        Default: prepare.Next,
      },
      [FAULT_STOP_STATE]: {
        Type: 'Fail',
        Error: PAKKA_ERROR.coordinatorStopped,
        Cause: 'fault injection: the coordinator stopped after prepare on purpose; recovery finishes the transaction',
      },
    },
  };
  checkDefinition(faulted);
  return faulted;
}

/** The committed ASL of a variant with the fault states, as text with its ${placeholders} still to fill. */
export function faultInjectedAsl(variant: CoordinatorVariant): string {
  const definition = JSON.parse(readFileSync(aslPath(variant), 'utf8')) as StateMachineDefinition;
  return `${JSON.stringify(withFaultStates(definition), null, 2)}\n`;
}
