import { loadConfig } from '../../src/config';
import { sanitizeRequestId, operationLabel, routeLabel, codeLabel } from '../../src/observability';
import { startObservedApp, type ObservedApp } from './helpers';

/** METRICS and METRICS_TOKEN, and the label and request-id rules on their own. */
const TOKEN = 'metrics-token-0123456789abcdef';

describe('METRICS_TOKEN', () => {
  let app: ObservedApp;
  beforeAll(async () => {
    app = await startObservedApp({ METRICS_TOKEN: TOKEN });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('refuses /metrics without the bearer token, or with another one', async () => {
    const none = await fetch(`${app.base}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await none.text()).not.toContain('http_requests_total');
    for (const auth of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, TOKEN, `Basic ${TOKEN}`]) {
      expect((await fetch(`${app.base}/metrics`, { headers: { authorization: auth } })).status).toBe(401);
    }
  });

  it('answers with the token', async () => {
    const res = await fetch(`${app.base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('# TYPE http_requests_total counter');
    expect(text).toContain('# TYPE graphql_request_duration_seconds histogram');
    // The refused scrapes were counted too.
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/metrics",status="401"\} [1-9]/);
  });
});

describe('METRICS=off', () => {
  let app: ObservedApp;
  beforeAll(async () => {
    app = await startObservedApp({ METRICS: 'off' });
  });
  afterAll(async () => {
    await app?.close();
  });

  it('serves no /metrics, and still gives every request an id and a log line', async () => {
    expect((await fetch(`${app.base}/metrics`)).status).toBe(404);
    const res = await app.post(`query Off { __typename }`, { headers: { 'X-Request-Id': 'off-1' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('off-1');
    // The line is written when the response closes, just after the client has it: wait for it, not for a time.
    const until = Date.now() + 30_000;
    while (!app.logs.some((l) => l.requestId === 'off-1') && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(app.logs.filter((l) => l.requestId === 'off-1' && l.msg === 'request completed')).toEqual([expect.objectContaining({ operationName: 'Off', status: 200 })]);
  });
});

describe('configuration', () => {
  const base = { NODE_ENV: 'test' };
  it('defaults to metrics on, without a token', () => {
    expect(loadConfig(base)).toMatchObject({ metrics: true, metricsToken: undefined });
    expect(loadConfig({ ...base, METRICS: 'off' }).metrics).toBe(false);
    expect(loadConfig({ ...base, METRICS: 'on' }).metrics).toBe(true);
  });
  it('rejects a bad METRICS or a weak METRICS_TOKEN', () => {
    expect(() => loadConfig({ ...base, METRICS: 'maybe' })).toThrow(/METRICS/);
    expect(() => loadConfig({ ...base, METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
    expect(() => loadConfig({ ...base, METRICS_TOKEN: 'has a space in it, sixteen+' })).toThrow(/METRICS_TOKEN/);
    expect(loadConfig({ ...base, METRICS_TOKEN: TOKEN }).metricsToken).toBe(TOKEN);
  });
});

describe('labels and request ids', () => {
  it('keeps request ids short and plain', () => {
    expect(sanitizeRequestId(undefined)).toBeUndefined();
    expect(sanitizeRequestId('')).toBeUndefined();
    expect(sanitizeRequestId('\r\n')).toBeUndefined();
    expect(sanitizeRequestId('req-1\r\nSet-Cookie: x=1')).toBe('req-1Set-Cookie:x=1');
    expect(sanitizeRequestId(['first', 'second'])).toBe('first');
    expect(sanitizeRequestId('é'.repeat(10) + 'ok')).toBe('ok');
    expect(sanitizeRequestId('x'.repeat(65))).toHaveLength(64);
    expect(sanitizeRequestId('Root=1-5759e988-bd862e3fe1be46a994272793')).toBe('Root=1-5759e988-bd862e3fe1be46a994272793');
  });
  it('bounds operation names, routes and codes', () => {
    expect(operationLabel(null)).toBe('anonymous');
    expect(operationLabel(undefined)).toBe('anonymous');
    expect(operationLabel('Customer360')).toBe('Customer360');
    expect(operationLabel('_x')).toBe('_x');
    expect(operationLabel('a'.repeat(64))).toBe('a'.repeat(64));
    expect(operationLabel('a'.repeat(65))).toBe('other');
    expect(operationLabel('1abc')).toBe('other');
    expect(operationLabel('ada@example.com')).toBe('other');
    expect(routeLabel('/graphql')).toBe('/graphql');
    expect(routeLabel('/metrics')).toBe('/metrics');
    expect(routeLabel('/playground/assets/app.js')).toBe('/playground/assets');
    expect(routeLabel('/customers/ada@example.com')).toBe('other');
    expect(codeLabel('FORBIDDEN')).toBe('FORBIDDEN');
    expect(codeLabel('forbidden; drop')).toBe('other');
    expect(codeLabel(undefined)).toBe('other');
  });
});
