/**
 * Where the console asks `pakka console`'s proxy for CloudWatch's figures: one constant for the
 * page and the proxy (cli/consoleCommand.ts), in a module of its own so the CLI imports nothing
 * else of the page. The local service has no such route (it has /metrics).
 */
export const CLOUDWATCH_PATH = '/console/cloudwatch/GetMetricData';
