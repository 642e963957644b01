/**
 * AWS's own rules over both committed ASL files: AWS's ASL language service (the validator behind the
 * AWS Toolkit, with AWS's schema) finds no problem, and no field makes more intrinsic calls than AWS's
 * limit of 10 ("Intrinsic functions for JSONPath states", Step Functions developer guide), which
 * neither validator checks and Step Functions enforces only at deploy.
 */
import { readFileSync } from 'node:fs';
import { TextDocument, getLanguageService } from 'amazon-states-language-service';
import { describe, expect, it } from 'vitest';
import { COORDINATOR_VARIANTS } from '../../lambdas/config/coordinatorVariant.js';
import { checkDefinition } from '../../statemachines/source/asl.js';
import { aslPath } from '../../statemachines/source/files.js';
import { MAX_INTRINSICS_PER_FIELD, fieldsOverIntrinsicLimit, intrinsicCalls, intrinsicFields } from '../../statemachines/source/intrinsicNesting.js';
import { twoPhaseCommit } from '../../statemachines/source/twoPhaseCommit.js';

/** The committed file with the placeholders filled in as CDK fills them (definitionSubstitutions). */
const deployed = (variant: (typeof COORDINATOR_VARIANTS)[number]) =>
  readFileSync(aslPath(variant), 'utf8').replaceAll('${CoordinatorLogTable}', 'pakka-coordinator-log');

describe('the intrinsic count', () => {
  it("counts AWS's own example of nine nested calls as nine", () => {
    const example =
      "States.Format('{}.{}.{}', States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 0), States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, '/'), 2), '.'), 1))";
    expect(intrinsicCalls(example)).toBe(9);
  });

  it('does not count text inside a quoted argument, and counts a Fail state path', () => {
    expect(intrinsicCalls("States.Format('States.Array(', $.a)")).toBe(1);
    expect(intrinsicFields({ Fail: { Type: 'Fail', CausePath: 'States.JsonToString($.a)' } })).toEqual([{ path: '$.Fail.CausePath', calls: 1 }]);
  });

  it('makes the generator refuse a field with more than 10 calls', () => {
    const definition = twoPhaseCommit('express');
    const eleven = `${'States.ArrayUnique('.repeat(10)}States.Array(1)${')'.repeat(10)}`;
    const first = Object.values(definition.States).find((state) => state.Type === 'Pass' && state.Parameters !== undefined);
    if (first?.Type !== 'Pass' || !first.Parameters) throw new Error('no Pass state with Parameters');
    first.Parameters['tooDeep.$'] = eleven;
    expect(() => checkDefinition(definition)).toThrow(/more than 10 intrinsic functions in a field.*tooDeep\.\$ \(11\)/);
  });
});

describe.each(COORDINATOR_VARIANTS)('the committed %s workflow', (variant) => {
  it('has no field with more than 10 intrinsic calls', () => {
    const definition: unknown = JSON.parse(deployed(variant));
    expect(intrinsicFields(definition).length).toBeGreaterThan(0);
    expect(fieldsOverIntrinsicLimit(definition), `AWS allows ${MAX_INTRINSICS_PER_FIELD}`).toEqual([]);
  });

  it("passes AWS's ASL language service with no diagnostic", async () => {
    const service = getLanguageService({});
    const document = TextDocument.create(`file:///${variant}.asl.json`, 'json', 1, deployed(variant));
    const diagnostics = await service.doValidation(document, service.parseJSONDocument(document));
    expect(diagnostics.map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('is checked by the ASL language service: a state pointing nowhere is a diagnostic', async () => {
    const service = getLanguageService({});
    const broken = deployed(variant).replace('"Next": "PhaseTwoNeeded"', '"Next": "NoSuchState"');
    const document = TextDocument.create(`file:///${variant}-broken.asl.json`, 'json', 1, broken);
    const diagnostics = await service.doValidation(document, service.parseJSONDocument(document));
    expect(diagnostics.length).toBeGreaterThan(0);
  });
});
