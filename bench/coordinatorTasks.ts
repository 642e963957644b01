/**
 * Names each DynamoDB request the coordinator makes after the ASL Task state that made it, by
 * matching the request's expressions against the states in the very ASL file the engine runs.
 * So the benchmark finds the decision write (the commit point) without knowing the file by heart.
 */
import { type AslSubstitutions, allStates, loadDefinition } from '../local/stateMachine.js';

interface DynamoTaskParameters {
  UpdateExpression?: string;
  ConditionExpression?: string;
  ExpressionAttributeValues?: Record<string, Record<string, unknown>>;
}

type WireValues = Record<string, Record<string, unknown>>;

/** The values a state writes as constants (`"S": "COMMIT"`, not `"S.$": "$.path"`): they tell MarkCommitted from MarkAborted. */
function constantValues(values: WireValues | undefined): Array<[string, string]> {
  return Object.entries(values ?? {}).flatMap(([name, value]) =>
    Object.entries(value)
      .filter(([type]) => !type.endsWith('.$'))
      .map(([type, v]): [string, string] => [name, `${type}:${JSON.stringify(v)}`]),
  );
}

const OPERATION_OF_RESOURCE: Record<string, string> = {
  'arn:aws:states:::dynamodb:putItem': 'PutItem',
  'arn:aws:states:::dynamodb:updateItem': 'UpdateItem',
  'arn:aws:states:::dynamodb:getItem': 'GetItem',
  'arn:aws:states:::dynamodb:deleteItem': 'DeleteItem',
};

/** The condition that makes a write the decision: it may be written exactly once (docs/design.md, "Records and the commit point"). */
export const DECISION_CONDITION = 'attribute_not_exists(decision)';
const ONE_PHASE_RECEIPT = /\bonePhase = :true\b/;

export interface CoordinatorTask {
  state: string;
  operation: string;
  isDecision: boolean;
}

export interface RequestShape {
  operation: string;
  updateExpression: string | undefined;
  conditionExpression: string | undefined;
  values?: WireValues | undefined;
}

interface Candidate extends CoordinatorTask {
  constants: Array<[string, string]>;
}

const shapeKey = (s: RequestShape) => `${s.operation}|${s.updateExpression ?? ''}|${s.conditionExpression ?? ''}`;

export class CoordinatorTasks {
  private readonly byShape = new Map<string, Candidate[]>();

  constructor(substitutions: AslSubstitutions) {
    const definition = loadDefinition(substitutions) as unknown as { States: Parameters<typeof allStates>[0] };
    for (const [name, state] of allStates(definition.States)) {
      const operation = state.Type === 'Task' && state.Resource ? OPERATION_OF_RESOURCE[state.Resource] : undefined;
      if (!operation) continue;
      const parameters = (state as { Parameters?: DynamoTaskParameters }).Parameters ?? {};
      const key = shapeKey({ operation, updateExpression: parameters.UpdateExpression, conditionExpression: parameters.ConditionExpression });
      const candidate: Candidate = {
        state: name,
        operation,
        // The commit point's condition also checks the votes after this clause. A one-phase commit's
        // receipt (it sets onePhase) has the same condition, but its participant's write was the decision.
        isDecision: (parameters.ConditionExpression?.startsWith(DECISION_CONDITION) ?? false) && !ONE_PHASE_RECEIPT.test(parameters.UpdateExpression ?? ''),
        constants: constantValues(parameters.ExpressionAttributeValues),
      };
      this.byShape.set(key, [...(this.byShape.get(key) ?? []), candidate]);
    }
  }

  /** The state that sends this request: same operation and expressions, same constant values. */
  identify(request: RequestShape): CoordinatorTask | undefined {
    const sent = new Set(constantValues(request.values).map(([name, value]) => `${name}=${value}`));
    const matches = (this.byShape.get(shapeKey(request)) ?? []).filter((c) => c.constants.every(([name, value]) => sent.has(`${name}=${value}`)));
    if (matches.length === 0) return undefined;
    // Two states sending the very same request cannot be told apart; none do today, and the label says so if one ever does.
    return { state: matches.map((m) => m.state).join('|'), operation: matches[0]!.operation, isDecision: matches.some((m) => m.isDecision) };
  }
}
