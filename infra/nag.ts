/**
 * cdk-nag's AWS Solutions checks, as the app runs them: a finding that no construct acknowledges
 * (with a reason) fails the synth. Acknowledgements are also written into the template's resource
 * metadata, so a reviewer sees each one next to the resource it excuses.
 */
import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

export function checkWithCdkNag(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }));
}
