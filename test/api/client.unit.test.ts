/** The client's choices that need no server: when it signs, for which region, and how a refusal reads. */
import { describe, expect, it } from 'vitest';
import { ConnectionFlagsError, clientFor, signingRegion } from '../../cli/client.js';
import { ApiCallError, PakkaClient, executeApiRegion, sigv4Signer } from '../../client/index.js';
import { callError } from '../../client/transport.js';

describe('executeApiRegion', () => {
  it.each([
    ['https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/v1/', 'eu-west-1'],
    ['https://a1b2c3d4e5.execute-api.ap-south-1.amazonaws.com/v1', 'ap-south-1'],
    ['https://A1B2C3D4E5.execute-api.us-gov-west-1.amazonaws.com/v1/', 'us-gov-west-1'],
    ['https://a1b2c3d4e5.execute-api.cn-north-1.amazonaws.com.cn/v1/', 'cn-north-1'],
  ])('reads the region of %s', (url, region) => expect(executeApiRegion(url)).toBe(region));

  it.each([
    'http://localhost:3000',
    'https://pakka.example.com/v1/',
    'https://a1b2.execute-api.eu-west-1.amazonaws.com.evil.example/',
    'https://execute-api.eu-west-1.amazonaws.com/',
  ])('finds none in %s', (url) => expect(executeApiRegion(url)).toBeUndefined());
});

describe('when the CLI signs', () => {
  const api = 'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/v1/';
  it('not for the local service, unless told', () => {
    expect(signingRegion({ url: 'http://localhost:3000' })).toBeUndefined();
    expect(clientFor({ url: 'http://localhost:3000' }).signs).toBe(false);
    expect(signingRegion({ url: 'http://localhost:3000', region: 'eu-west-1' })).toBe('eu-west-1');
  });

  it('for the region of an execute-api URL without a flag; --region wins over it', () => {
    expect(signingRegion({ url: api })).toBe('eu-west-1');
    expect(clientFor({ url: api }).signs).toBe(true);
    expect(signingRegion({ url: api, region: 'eu-central-1' })).toBe('eu-central-1');
  });

  it('--sigv4 for a custom domain takes AWS_REGION (then AWS_DEFAULT_REGION), and refuses to guess without', () => {
    const custom = { url: 'https://pakka.example.com/v1/', sigv4: true };
    expect(signingRegion(custom, { AWS_REGION: 'ap-south-1', AWS_DEFAULT_REGION: 'us-east-1' })).toBe('ap-south-1');
    expect(signingRegion(custom, { AWS_DEFAULT_REGION: 'us-east-1' })).toBe('us-east-1');
    expect(() => signingRegion(custom, {})).toThrow(ConnectionFlagsError);
    expect(() => signingRegion({ url: 'not a url' })).toThrow(/is not a URL/);
  });

  it('the library client: auto by default, never with sigv4 false, always with a region', () => {
    expect(new PakkaClient(api).signs).toBe(true);
    expect(new PakkaClient(api, { sigv4: false }).signs).toBe(false);
    expect(new PakkaClient('http://localhost:3000', { sigv4: { region: 'eu-west-1' } }).signs).toBe(true);
  });
});

describe('the signer', () => {
  it('adds an execute-api signature for the region, over host, date and body, and sends no Host header of its own', async () => {
    const sign = sigv4Signer({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' } });
    const headers = await sign({
      method: 'POST',
      url: new URL('https://a1.execute-api.eu-west-1.amazonaws.com/v1/transactions?wait=true'),
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(headers['x-amz-content-sha256']).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
    expect(headers).not.toHaveProperty('host');
  });
});

describe('a refusal', () => {
  const at = { method: 'POST' as const, path: '/transactions' };
  it("carries the API's code, message and field", () => {
    const error = callError(at, {
      status: 400,
      contentType: 'application/json',
      text: JSON.stringify({ error: { code: 'INVALID_REQUEST', message: 'participants is required', field: 'participants' } }),
    });
    expect(error).toBeInstanceOf(ApiCallError);
    expect(error).toMatchObject({ status: 400, code: 'INVALID_REQUEST', field: 'participants', message: 'participants is required' });
  });

  it('keeps the decision a refused resolve names', () => {
    const logged = { decision: 'COMMIT', decidedBy: 'coordinator', decidedAt: '2026-01-01T00:00:00.000Z', note: null };
    const error = callError(at, {
      status: 409,
      contentType: 'application/json',
      text: JSON.stringify({ error: { code: 'DECISION_ALREADY_LOGGED', message: 'm', field: null }, logged }),
    });
    expect(error.logged).toEqual(logged);
  });

  it("reads API Gateway's plain {message} and a body that is not JSON", () => {
    expect(callError(at, { status: 403, contentType: 'application/json', text: '{"message":"Forbidden"}' })).toMatchObject({
      code: 'HTTP_403',
      message: 'Forbidden',
      field: null,
    });
    expect(callError(at, { status: 502, contentType: 'text/html', text: '<html>Bad gateway</html>' })).toMatchObject({
      code: 'HTTP_502',
      message: 'POST /transactions answered 502',
    });
  });
});
