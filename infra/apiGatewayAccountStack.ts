/**
 * The one-time setting API Gateway needs before any REST API of an account can write execution or
 * access logs to CloudWatch Logs: the account's CloudWatch role, set once per account and region.
 * It is account-wide, so it lives in a stack of its own that nothing else owns: Pakka stacks (any
 * number of sandboxes) only use it, and deleting one of them never takes logging from the others.
 * Skip this stack when the account already has the role (`aws apigateway get-account` shows
 * `cloudwatchRoleArn`).
 */
import { RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

export const API_GATEWAY_ACCOUNT_STACK_NAME = 'PakkaApiGatewayAccount';
export const API_GATEWAY_LOGS_POLICY = 'service-role/AmazonAPIGatewayPushToCloudWatchLogs';

export class ApiGatewayAccountStack extends Stack {
  readonly role: Role;

  constructor(scope: Construct, id: string = API_GATEWAY_ACCOUNT_STACK_NAME, props: StackProps = {}) {
    super(scope, id, { description: "API Gateway's account setting: the CloudWatch Logs role every REST API of this account and region logs with", ...props });
    this.role = new Role(this, 'CloudWatchRole', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: 'API Gateway writes the execution and access logs of every REST API in this account and region with this role',
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName(API_GATEWAY_LOGS_POLICY)],
    });
    // Deleting this stack leaves the account setting pointing at the role: keep the role, or every
    // REST API of the account would stop logging.
    this.role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const account = new CfnAccount(this, 'Account', { cloudWatchRoleArn: this.role.roleArn });
    account.applyRemovalPolicy(RemovalPolicy.RETAIN);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/${API_GATEWAY_LOGS_POLICY}]`,
      reason:
        "The role of the account-wide API Gateway setting serves every REST API of the account and region, whose log groups API Gateway names and creates itself (API-Gateway-Execution-Logs_<api-id>/<stage>, and each stage's access log group): AWS publishes this managed policy for exactly that role.",
    });
  }
}
