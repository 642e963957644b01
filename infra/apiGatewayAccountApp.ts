/**
 * The CDK app of the one-time API Gateway account setting (`npm run deploy:api-gateway-account`),
 * apart from the Pakka app so that `npx cdk deploy` keeps deploying one stack. cdk-nag checks it too.
 */
import { App } from 'aws-cdk-lib';
import { ApiGatewayAccountStack } from './apiGatewayAccountStack.js';
import { checkWithCdkNag } from './nag.js';

const app = new App();
new ApiGatewayAccountStack(app);
checkWithCdkNag(app);
app.synth();
