/**
 * The CDK app (`npx cdk deploy`, run by cdk.json with tsx). The stack is environment-agnostic:
 * it makes no lookups, so it synthesizes offline and deploys to whatever account and region the
 * CLI's credentials name. cdk-nag's AWS Solutions checks run on every synth; an unacknowledged
 * finding fails it.
 */
import { App } from 'aws-cdk-lib';
import { buildPakkaApp } from './pakkaApp.js';

const app = new App();
buildPakkaApp(app);
app.synth();
