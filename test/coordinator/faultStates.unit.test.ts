/**
 * The coordinator with the fault states (statemachines/source/faultStates.ts) is still a definition
 * AWS accepts: AWS's ASL language service finds nothing, and no field passes the intrinsic limit.
 * Only PrepareAll's next state changes; every other state is the committed one.
 */
import { readFileSync } from 'node:fs';
import { TextDocument, getLanguageService } from 'amazon-states-language-service';
import { describe, expect, it } from 'vitest';
import { COORDINATOR_VARIANTS } from '../../lambdas/config/coordinatorVariant.js';
import { PAKKA_ERROR } from '../../lambdas/protocol/errorNames.js';
import { aslPath } from '../../statemachines/source/files.js';
import { FAULT_CHOICE_STATE, FAULT_STOP_STATE, faultInjectedAsl } from '../../statemachines/source/faultStates.js';
import { fieldsOverIntrinsicLimit } from '../../statemachines/source/intrinsicNesting.js';

describe.each(COORDINATOR_VARIANTS)('the %s workflow with fault injection', (variant) => {
  const text = faultInjectedAsl(variant).replaceAll('${CoordinatorLogTable}', 'pakka-coordinator-log');

  it("passes AWS's ASL language service with no diagnostic and keeps every field within the intrinsic limit", async () => {
    const service = getLanguageService({});
    const document = TextDocument.create(`file:///${variant}-fault.asl.json`, 'json', 1, text);
    const diagnostics = await service.doValidation(document, service.parseJSONDocument(document));
    expect(diagnostics.map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
    expect(fieldsOverIntrinsicLimit(JSON.parse(text))).toEqual([]);
  });

  it('only puts the fault Choice between PrepareAll and its next state', () => {
    const committed = JSON.parse(readFileSync(aslPath(variant), 'utf8')) as { States: Record<string, { Next?: string }> };
    const faulted = JSON.parse(faultInjectedAsl(variant)) as { States: Record<string, { Next?: string; Default?: string }> };
    const { [FAULT_CHOICE_STATE]: choice, [FAULT_STOP_STATE]: stop, PrepareAll, ...rest } = faulted.States;
    const { PrepareAll: committedPrepare, ...committedRest } = committed.States;
    expect(rest).toEqual(committedRest);
    expect(PrepareAll).toEqual({ ...committedPrepare, Next: FAULT_CHOICE_STATE });
    expect(choice?.Default).toBe(committedPrepare?.Next);
    expect(stop).toMatchObject({ Type: 'Fail', Error: PAKKA_ERROR.coordinatorStopped });
  });
});
