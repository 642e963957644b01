/**
 * CloudWatch's GetMetricData for `pakka console --url`: on AWS there is no /metrics, so the
 * console's charts ask CloudWatch for the same metrics (namespace Pakka), through the console's
 * proxy, which signs the call with the user's credentials like every other call (SigV4, signing
 * name `monitoring`); `pakka verify` reads the same metrics and the stack's alarms (DescribeAlarms). The call uses CloudWatch's Query protocol (form-encoded request, XML answer),
 * as the CloudWatch API Reference documents it ("Making API requests": Action, Version and the
 * operation's parameters, lists as `.member.N`).
 */
import { z } from 'zod';
import { type RequestSigner, sigv4Signer } from '../client/sigv4.js';

export const CLOUDWATCH_SERVICE = 'monitoring';
export const CLOUDWATCH_API_VERSION = '2010-08-01';
/** At most 500 queries per call (GetMetricData's documented limit). */
const MAX_QUERIES = 500;

/**
 * CloudWatch's regional endpoint, unless the environment names another as the AWS SDKs read it
 * (AWS_ENDPOINT_URL_CLOUDWATCH, else AWS_ENDPOINT_URL: "Service-specific endpoints", AWS SDKs and
 * Tools Reference Guide), e.g. LocalStack or a test's stand-in.
 */
export const cloudWatchEndpoint = (region: string, env: NodeJS.ProcessEnv = process.env): URL =>
  new URL(
    env.AWS_ENDPOINT_URL_CLOUDWATCH || env.AWS_ENDPOINT_URL || `https://${CLOUDWATCH_SERVICE}.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}/`,
  );

const name = z.string().min(1).max(255);
const metricStat = z.object({
  Metric: z.object({
    Namespace: name,
    MetricName: name,
    Dimensions: z
      .array(z.object({ Name: name, Value: name }))
      .max(30)
      .optional(),
  }),
  Period: z.number().int().positive(),
  Stat: z.string().min(1).max(100),
});
const query = z
  .object({
    Id: z.string().regex(/^[a-z][A-Za-z0-9_]{0,254}$/, 'an Id starts with a lower-case letter and holds letters, digits and _'),
    Label: z.string().max(255).optional(),
    ReturnData: z.boolean().optional(),
    MetricStat: metricStat.optional(),
    Expression: z.string().min(1).max(2048).optional(),
    Period: z.number().int().positive().optional(),
  })
  .refine((q) => (q.MetricStat === undefined) !== (q.Expression === undefined), 'each query has either a MetricStat or an Expression');

/** What the console asks for: the queries and the time range. */
export const metricDataRequest = z.object({
  MetricDataQueries: z.array(query).min(1).max(MAX_QUERIES),
  StartTime: z.iso.datetime(),
  EndTime: z.iso.datetime(),
});
export type MetricDataRequest = z.infer<typeof metricDataRequest>;

export interface MetricDataResult {
  Id: string;
  Label: string;
  /** Oldest first (the request asks ScanBy=TimestampAscending). */
  Timestamps: string[];
  Values: number[];
  StatusCode: string;
}

/** Query-protocol parameters: nested fields joined by dots, list entries as `.member.N` from 1. */
function flatten(prefix: string, value: unknown, out: URLSearchParams): void {
  if (value === undefined) return;
  if (Array.isArray(value)) value.forEach((entry, i) => flatten(`${prefix}.member.${i + 1}`, entry, out));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, out);
  else out.append(prefix, String(value));
}

export function getMetricDataBody(request: MetricDataRequest): string {
  const params = new URLSearchParams({ Action: 'GetMetricData', Version: CLOUDWATCH_API_VERSION });
  flatten('', { ...request, ScanBy: 'TimestampAscending' }, params);
  return params.toString();
}

interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
const xmlText = (text: string) =>
  text.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (whole, entity: string) =>
    entity.startsWith('#x')
      ? String.fromCodePoint(Number.parseInt(entity.slice(2), 16))
      : entity.startsWith('#')
        ? String.fromCodePoint(Number(entity.slice(1)))
        : (ENTITIES[entity] ?? whole),
  );

/** The little XML CloudWatch answers with: elements and text, no attributes needed. */
function parseXml(xml: string): XmlElement {
  const root: XmlElement = { name: '#root', children: [], text: '' };
  const stack = [root];
  for (const token of xml.matchAll(/<(\/?)([A-Za-z_][\w.-]*)[^>]*?(\/?)>|<\?[^>]*\?>|<!--[\s\S]*?-->|([^<]+)/g)) {
    const [, closing, tag, selfClosing, text] = token;
    const top = stack.at(-1) as XmlElement;
    if (text !== undefined) top.text += xmlText(text);
    else if (!tag) continue;
    else if (closing) stack.pop();
    else {
      const element: XmlElement = { name: tag, children: [], text: '' };
      top.children.push(element);
      if (!selfClosing) stack.push(element);
    }
  }
  return root;
}

const child = (e: XmlElement | undefined, name: string) => e?.children.find((c) => c.name === name);
const members = (e: XmlElement | undefined) => (e?.children ?? []).filter((c) => c.name === 'member');
const find = (e: XmlElement, name: string): XmlElement | undefined => (e.name === name ? e : e.children.map((c) => find(c, name)).find(Boolean));

export class CloudWatchError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CloudWatchError';
  }
}

/** The `<Action>Result` element of an answer, or CloudWatch's error (an error status or an Error element) thrown. */
function resultOf(status: number, xml: string, resultName: string): XmlElement {
  const doc = parseXml(xml);
  const error = find(doc, 'Error');
  if (status >= 300 || error) {
    throw new CloudWatchError(status, child(error, 'Code')?.text.trim() || `HTTP ${status}`, child(error, 'Message')?.text.trim() || xml.slice(0, 200));
  }
  const result = find(doc, resultName);
  if (!result) throw new CloudWatchError(status, 'UNEXPECTED_ANSWER', `CloudWatch's answer has no ${resultName}: ${xml.slice(0, 200)}`);
  return result;
}

/** GetMetricData's answer: its results (every page of one call), or CloudWatch's error. */
export function parseGetMetricData(status: number, xml: string): { results: MetricDataResult[]; nextToken: string | null } {
  const result = resultOf(status, xml, 'GetMetricDataResult');
  const results = members(child(result, 'MetricDataResults')).map(
    (m): MetricDataResult => ({
      Id: child(m, 'Id')?.text.trim() ?? '',
      Label: child(m, 'Label')?.text.trim() ?? '',
      Timestamps: members(child(m, 'Timestamps')).map((t) => t.text.trim()),
      Values: members(child(m, 'Values')).map((v) => Number(v.text.trim())),
      StatusCode: child(m, 'StatusCode')?.text.trim() ?? '',
    }),
  );
  return { results, nextToken: child(result, 'NextToken')?.text.trim() || null };
}

export interface CloudWatchClient {
  endpoint: URL;
  signer: RequestSigner;
}

/** CloudWatch in `region`, signed with the credentials of the AWS SDK's default chain. */
export const cloudWatchIn = (region: string): CloudWatchClient => ({
  endpoint: cloudWatchEndpoint(region),
  signer: sigv4Signer({ region, service: CLOUDWATCH_SERVICE }),
});

/** One Query-protocol call: the form body signed and sent; the answer's status and XML. */
async function callQueryApi(client: CloudWatchClient, body: string): Promise<{ status: number; xml: string }> {
  const headers = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8', accept: 'text/xml' };
  const signed = await client.signer({ method: 'POST', url: client.endpoint, headers, body });
  const { host: _host, ...sendHeaders } = signed;
  const answer = await fetch(client.endpoint, { method: 'POST', headers: sendHeaders, body });
  return { status: answer.status, xml: await answer.text() };
}

/** One GetMetricData call, every page of it followed (NextToken), the pages of one query joined. */
export async function getMetricData(client: CloudWatchClient, request: MetricDataRequest): Promise<MetricDataResult[]> {
  const joined = new Map<string, MetricDataResult>();
  let nextToken: string | null = null;
  do {
    const answer = await callQueryApi(client, `${getMetricDataBody(request)}${nextToken ? `&NextToken=${encodeURIComponent(nextToken)}` : ''}`);
    const page = parseGetMetricData(answer.status, answer.xml);
    for (const r of page.results) {
      const seen = joined.get(r.Id);
      joined.set(r.Id, seen ? { ...seen, Timestamps: [...seen.Timestamps, ...r.Timestamps], Values: [...seen.Values, ...r.Values] } : r);
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return [...joined.values()];
}

/** DescribeAlarms' answer: the names of the metric and composite alarms on this page, or CloudWatch's error. */
export function parseDescribeAlarms(status: number, xml: string): { names: string[]; nextToken: string | null } {
  const result = resultOf(status, xml, 'DescribeAlarmsResult');
  const names = ['MetricAlarms', 'CompositeAlarms'].flatMap((list) => members(child(result, list)).map((m) => child(m, 'AlarmName')?.text.trim() ?? ''));
  return { names: names.filter((n) => n !== ''), nextToken: child(result, 'NextToken')?.text.trim() || null };
}

/** The names of every alarm whose name starts with `prefix` (DescribeAlarms, AlarmNamePrefix, every page). */
export async function alarmNamesWithPrefix(client: CloudWatchClient, prefix: string): Promise<string[]> {
  const names: string[] = [];
  let nextToken: string | null = null;
  do {
    const params = new URLSearchParams({ Action: 'DescribeAlarms', Version: CLOUDWATCH_API_VERSION, AlarmNamePrefix: prefix, MaxRecords: '100' });
    params.append('AlarmTypes.member.1', 'MetricAlarm');
    params.append('AlarmTypes.member.2', 'CompositeAlarm');
    if (nextToken) params.append('NextToken', nextToken);
    const answer = await callQueryApi(client, params.toString());
    const page = parseDescribeAlarms(answer.status, answer.xml);
    names.push(...page.names);
    nextToken = page.nextToken;
  } while (nextToken);
  return names;
}
