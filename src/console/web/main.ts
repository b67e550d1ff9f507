import { execute, otherErrors, Withheld, type GqlError, type Result } from './client.js';
import { fmtDate, h, money, pct, section, table, withheld } from './dom.js';
import { barChart, lineChart } from './charts.js';
import {
  ConsoleCampaignsDocument,
  ConsoleCustomerDocument,
  ConsoleCustomerListDocument,
  ConsoleLookupDocument,
  ConsoleMeDocument,
  ConsoleSegmentHistoryDocument,
  ConsoleSegmentsDocument,
  ConsoleTimelineDocument,
  type ConsoleCustomerQuery,
  type ConsoleTimelineQuery,
  type IdentityKind,
} from './gql/graphql.js';

/**
 * The customer-360 console. Every panel is read from the GraphQL API with the viewer's own token;
 * what the viewer's role may not see comes back as FORBIDDEN errors with paths next to partial data,
 * and is drawn as a "withheld" marker in place of the value.
 */
const config = JSON.parse(document.getElementById('console-config')!.textContent!) as { endpoint: string };
const endpoint = new URL(config.endpoint, location.href).href;
const app = document.getElementById('app')!;
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const TIMELINE_PAGE = 20;
let token = '';

/** The token's claims, for the header and to open a customer's own profile; the API decides access. */
function claims(t: string): { role?: string; sub?: string; customerId?: string } {
  try {
    const part = t.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part + '='.repeat((4 - (part.length % 4)) % 4))) as { role?: string; sub?: string };
  } catch {
    return {};
  }
}

function run<R, V>(doc: Parameters<typeof execute<R, V>>[2], variables: V): Promise<Result<R>> {
  return execute(endpoint, token, doc, variables);
}

function problems(errors: GqlError[], status: number): HTMLElement | null {
  if (status === 401) return h('p', { class: 'error', 'data-problem': 'unauthenticated' }, 'The API refused this token (401): paste a valid one.');
  const other = otherErrors(errors);
  return other.length ? h('p', { class: 'error', 'data-problem': 'error' }, other.map((e) => e.message).join('; ')) : null;
}

/** A value, or the withheld marker when its path (or a field above it) was refused. */
function field(w: Withheld, path: Array<string | number>, value: () => Node | string): Node | string {
  const reason = w.reason(path);
  return reason ? withheld(path.join('.'), reason) : value();
}

/** A panel whose root field came back null: withheld markers for what was refused under it. */
function withheldPanel(title: string, id: string, w: Withheld, ...roots: string[]): HTMLElement | null {
  const below = roots.flatMap((r) => w.below(r));
  if (!below.length) return null;
  // Named by the field itself ("identities", "lifecycleHistory"), without the panel's alias or list indices.
  const name = (p: string) => p.split('.').filter((x) => !/^\d+$/.test(x)).slice(1).join('.') || p;
  return section(title, id, h('p', null, ...below.map((x) => h('span', { class: 'withheld-item' }, `${name(x.path)}: `, withheld(x.path, x.reason)))));
}

type Customer360 = ConsoleCustomerQuery;

function profilePanel(d: Customer360, w: Withheld): HTMLElement {
  const p = d.profile;
  if (!p) return withheldPanel('Profile', 'profile', w, 'profile') ?? section('Profile', 'profile', h('p', null, 'Not found.'));
  const rows: Array<[string, keyof NonNullable<Customer360['profile']>]> = [
    ['First name', 'firstName'], ['Last name', 'lastName'], ['Email', 'email'], ['Phone', 'phone'], ['Birth date', 'birthDate'],
    ['Locale', 'locale'], ['Status', 'status'], ['First seen', 'firstSeenAt'], ['Last seen', 'lastSeenAt'],
  ];
  return section('Profile', 'profile', h('dl', null, rows.flatMap(([label, key]) => [
    h('dt', null, label),
    h('dd', { 'data-field': key }, field(w, ['profile', key], () => (key.endsWith('At') ? fmtDate(p[key]) : String(p[key] ?? '—')))),
  ])), h('p', { class: 'muted' }, 'id ', p.id));
}

function identitiesPanel(d: Customer360, w: Withheld): HTMLElement {
  const ids = d.identities?.identities;
  if (!ids) return withheldPanel('Identities', 'identities', w, 'identities') ?? section('Identities', 'identities', '—');
  return section('Identities', 'identities', ids.length
    ? table(['kind', 'namespace', 'value', 'source', 'since'], ids.map((i) => [i.kind, i.namespace, i.value, i.source, fmtDate(i.createdAt)]))
    : h('p', { class: 'muted' }, 'No identities.'));
}

function valuePanel(d: Customer360, w: Withheld): HTMLElement {
  if (w.reason(['value', 'value']) || (!d.value && w.below('value').length)) return withheldPanel('Value, lifecycle and churn', 'value', w, 'value', 'lifecycle')!;
  const v = d.value?.value;
  if (!v) return section('Value, lifecycle and churn', 'value', h('p', { class: 'muted' }, 'Not computed yet (analytics has not run since this customer appeared).'));
  // The churn reasons: the drivers the model and the rules read, each stated with its figure.
  const reasons: string[] = [];
  if (v.recencyDays !== null) reasons.push(`last order ${v.recencyDays} days ago`);
  if (v.pAlive !== null) reasons.push(`probability still active ${pct(v.pAlive)}`);
  if (v.engagementDecline > 0) reasons.push(`engagement down ${pct(v.engagementDecline)} on the previous period`);
  if (v.negativeFeedback90d > 0) reasons.push(`${v.negativeFeedback90d} negative feedback in 90 days`);
  if (!v.modelScoresAvailable && v.modelScoresUnavailableReason) reasons.push(`model scores unavailable: ${v.modelScoresUnavailableReason}`);
  const life = d.lifecycle?.lifecycleHistory;
  return section('Value, lifecycle and churn', 'value',
    h('dl', null,
      h('dt', null, 'Lifecycle stage'), h('dd', { 'data-field': 'lifecycleStage' }, v.lifecycleStage),
      h('dt', null, 'Value tier'), h('dd', null, v.valueTier, ' · RFM ', v.rfmSegment),
      h('dt', null, 'Orders'), h('dd', null, String(v.ordersCount)),
      h('dt', null, 'Historic value'), h('dd', null, money(v.historicValue)),
      h('dt', null, 'Predicted 12-month CLV'), h('dd', null, money(v.clv12m)),
      h('dt', null, 'Churn risk'), h('dd', { 'data-field': 'churnRisk' }, pct(v.churnRisk)),
      h('dt', null, 'Computed'), h('dd', null, fmtDate(v.computedAt)),
    ),
    h('p', null, h('strong', null, 'Why: ')), h('ul', { 'data-field': 'churnReasons' }, reasons.map((r) => h('li', null, r))),
    h('p', null, h('strong', null, 'Lifecycle history: ')),
    life
      ? life.available
        ? table(['at', 'from', 'to'], life.transitions.map((t) => [fmtDate(t.at), t.from ?? '—', t.to]))
        : h('p', { class: 'muted' }, life.unavailableReason ?? 'unavailable')
      : field(w, ['lifecycle', 'lifecycleHistory'], () => '—'),
  );
}

function consentPanel(d: Customer360, w: Withheld): HTMLElement {
  const c = d.consents?.consents;
  if (!c) return withheldPanel('Consents', 'consents', w, 'consents') ?? section('Consents', 'consents', '—');
  return section('Consents', 'consents',
    h('p', null, h('strong', null, 'In force')),
    c.current.length ? table(['purpose', 'channel', 'status', 'basis', 'since'], c.current.map((r) => [r.purpose, r.channel, h('span', { class: `chip status-${r.status}` }, r.status), r.lawfulBasis, fmtDate(r.recordedAt)])) : h('p', { class: 'muted' }, 'None recorded.'),
    h('p', null, h('strong', null, `History (${c.history.totalCount})`)),
    table(['recorded', 'purpose', 'channel', 'status', 'basis', 'source', 'policy'], c.history.nodes.map((r) => [fmtDate(r.recordedAt), r.purpose, r.channel, r.status, r.lawfulBasis, r.source, r.policyVersion])),
  );
}

function offersPanel(d: Customer360, w: Withheld): HTMLElement {
  const recs = d.recommendations?.recommendations;
  const offers = d.offers?.nextBestOffers;
  const values = d.offerValues?.nextBestOffers;
  return section('Recommendations and next-best offers', 'offers',
    h('p', null, h('strong', null, 'Recommended products')),
    recs
      ? recs.available
        ? table(['product', 'category', 'score', 'why'], recs.items.map((r) => [r.product.name, r.product.category, r.score.toFixed(2), r.explanation]))
        : h('p', { class: 'muted' }, `Unavailable: ${recs.unavailableReason ?? ''}`)
      : field(w, ['recommendations', 'recommendations'], () => '—'),
    h('p', null, h('strong', null, 'Next-best offers (web)')),
    offers
      ? offers.length
        ? table(['offer', 'score', 'P(accept)', 'expected value', 'reason'], offers.map((o, i) => [
          `${o.offer.name} (${o.offer.code})`, o.score.toFixed(2), pct(o.pAccept),
          values ? money(values[i]?.expectedValue) : field(w, ['offerValues', 'nextBestOffers', i, 'expectedValue'], () => '—'),
          o.reason,
        ]))
        : h('p', { class: 'muted' }, 'No eligible offer.')
      : field(w, ['offers', 'nextBestOffers'], () => '—'),
  );
}

function feedbackPanel(d: Customer360, w: Withheld): HTMLElement {
  const f = d.feedback?.feedback;
  if (!f) return withheldPanel('Feedback', 'feedback', w, 'feedback') ?? section('Feedback', 'feedback', '—');
  return section('Feedback', 'feedback', h('p', { class: 'muted' }, `${f.totalCount} in all`),
    table(['submitted', 'kind', 'score', 'topic', 'status', 'text', 'resolved'], f.nodes.map((x, i) => [
      fmtDate(x.submittedAt), x.kind, x.score === null ? '—' : String(x.score), x.topic ?? '—',
      h('span', { class: `chip status-${x.status}`, 'data-complaint-status': x.kind === 'COMPLAINT' ? x.status : '' }, x.status),
      field(w, ['feedback', 'feedback', 'nodes', i, 'text'], () => x.text ?? '—'),
      fmtDate(x.resolvedAt),
    ])));
}

type TimelineNode = NonNullable<Extract<ConsoleTimelineQuery['node'], { timeline: unknown }>['timeline']>['nodes'][number];

function timelineItem(n: TimelineNode): HTMLElement {
  switch (n.__typename) {
    case 'Interaction': return h('li', { 'data-kind': 'interaction' }, fmtDate(n.occurredAt), ' · ', n.interactionChannel, ' ', n.type, n.product ? ` · ${n.product.name}` : '', n.campaign ? ` · ${n.campaign}` : '');
    case 'Order': return h('li', { 'data-kind': 'order' }, fmtDate(n.placedAt), ' · order ', money(n.total), ' · ', n.orderChannel, ' ', n.orderStatus);
    case 'Feedback': return h('li', { 'data-kind': 'feedback' }, fmtDate(n.submittedAt), ' · feedback ', n.kind, n.score === null ? '' : ` ${n.score}`, ' · ', n.feedbackStatus);
    case 'ConsentRecord': return h('li', { 'data-kind': 'consent' }, fmtDate(n.recordedAt), ' · consent ', n.purpose, '/', n.consentChannel, ' ', n.consentStatus);
  }
}

/** The timeline, 20 at a time: the next page loads when its end scrolls into view. */
function timelinePanel(customerId: string): HTMLElement {
  const list = h('ul', null);
  const status = h('p', { class: 'muted', 'data-timeline-status': '' }, 'Loading…');
  const box = h('div', { id: 'timeline' }, list, status);
  let after: string | null = null;
  let done = false;
  let busy = false;
  const more = async () => {
    if (busy || done) return;
    busy = true;
    const r = await run(ConsoleTimelineDocument, { id: customerId, first: TIMELINE_PAGE, after });
    busy = false;
    const w = new Withheld(r.errors);
    const tl = r.data?.node && 'timeline' in r.data.node ? r.data.node.timeline : null;
    if (!tl) {
      done = true;
      status.replaceChildren(w.within(['node']) ? withheld('node.timeline', w.reason(['node', 'timeline'])) : problems(r.errors, r.status) ?? 'No timeline.');
      return;
    }
    list.append(...tl.nodes.map(timelineItem));
    after = tl.pageInfo.endCursor;
    done = !tl.pageInfo.hasNextPage;
    list.dataset.loaded = String(list.children.length);
    status.textContent = done ? `${tl.totalCount} events, all shown` : `${list.children.length} of ${tl.totalCount}: scroll for more`;
    if (!done && box.scrollHeight <= box.clientHeight) void more();
  };
  new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && void more(), { root: box }).observe(status);
  return section('Timeline', 'timeline-panel', box);
}

async function segmentsPanel(): Promise<HTMLElement> {
  // Two requests: both roots are non-null, so one refused would null (and hide the error of) the other.
  const [sr, hr] = await Promise.all([run(ConsoleSegmentsDocument, {}), run(ConsoleSegmentHistoryDocument, { history: 30 })]);
  const sw = new Withheld(sr.errors);
  const hw = new Withheld(hr.errors);
  const segments = sr.data?.segments;
  const history = hr.data?.analyticsHistory.nodes;
  const series = (segments ?? []).map((s) => ({
    name: s.name,
    points: (history ?? []).flatMap((n) => n.segments.filter((x) => x.segmentId === s.id).map((x) => ({ x: Date.parse(n.asOf), y: x.customers }))),
  }));
  return section('Segments', 'segments',
    segments
      ? table(['segment', 'members', 'evaluated'], segments.map((s) => [s.name, String(s.memberCount), fmtDate(s.evaluatedAt)]))
      : sw.reason(['segments']) ? h('p', null, 'Segments: ', withheld('segments', sw.reason(['segments']))) : problems(sr.errors, sr.status),
    h('p', null, h('strong', null, `Size over time${history ? ` (${history.length} analytics runs)` : ''}`)),
    history
      ? segments ? lineChart(series, { label: 'Segment sizes over time' }) : null
      : hw.reason(['analyticsHistory']) ? h('p', null, 'Analytics history: ', withheld('analyticsHistory', hw.reason(['analyticsHistory']))) : problems(hr.errors, hr.status));
}

async function campaignsPanel(): Promise<HTMLElement> {
  const since = new Date(Date.now() - 365 * 24 * 3600 * 1000).toISOString();
  const r = await run(ConsoleCampaignsDocument, { since });
  const w = new Withheld(r.errors);
  if (!r.data) return section('Campaign results', 'campaigns', w.reason(['campaignMetrics']) ? withheld('campaignMetrics', w.reason(['campaignMetrics'])) : problems(r.errors, r.status));
  const rows = r.data.campaignMetrics;
  return section('Campaign results (last 12 months)', 'campaigns',
    barChart(rows.map((c) => ({ label: c.campaign, bars: [{ name: 'open rate', value: c.openRate }, { name: 'click rate', value: c.clickRate }, { name: 'conversion', value: c.conversionRate }] })), { label: 'Campaign funnel rates', format: pct }),
    barChart(rows.map((c) => ({ label: c.campaign, bars: [{ name: 'exposed', value: c.results?.exposed.conversionRate ?? null }, { name: 'control', value: c.results?.control.conversionRate ?? null }] })), { label: 'Conversion, exposed vs control', format: pct }),
    table(['campaign', 'sends', 'opens', 'clicks', 'conversions', 'uplift', 'verdict'], rows.map((c) => [
      c.campaign, String(c.sends), String(c.opens), String(c.clicks), String(c.conversions),
      c.results?.uplift ? `${pct(c.results.uplift.estimate)} (${pct(c.results.uplift.low)} to ${pct(c.results.uplift.high)})` : '—',
      c.results?.verdict ?? '—',
    ])));
}

async function customerListPanel(): Promise<HTMLElement> {
  const r = await run(ConsoleCustomerListDocument, { first: 10, after: null });
  const w = new Withheld(r.errors);
  const list = r.data?.customers;
  if (!list) return section('Customers', 'customers', w.reason(['customers']) ? withheld('customers', w.reason(['customers'])) : problems(r.errors, r.status));
  return section('Customers', 'customers', h('p', { class: 'muted' }, `${list.totalCount} in all; the 10 first:`),
    table(['name', 'status', 'last seen', ''], list.nodes.map((c, i) => {
      const open = h('button', { class: 'link', type: 'button', 'data-open': c.id }, 'Open');
      open.addEventListener('click', () => void openCustomer(c.id));
      return [
        h('span', null, field(w, ['customers', 'nodes', i, 'firstName'], () => c.firstName ?? '—'), ' ', field(w, ['customers', 'nodes', i, 'lastName'], () => c.lastName ?? '')),
        c.status, fmtDate(c.lastSeenAt), open,
      ];
    })));
}

async function overview(): Promise<HTMLElement[]> {
  return Promise.all([segmentsPanel(), campaignsPanel(), customerListPanel()]).then((panels) => panels.map((p) => (p.classList.add('wide'), p)));
}

async function openCustomer(id: string): Promise<void> {
  app.replaceChildren(section('Customer', 'loading', h('p', { class: 'muted' }, 'Loading…')));
  const [r, rest] = await Promise.all([run(ConsoleCustomerDocument, { id }), overview()]);
  const w = new Withheld(r.errors);
  const d = r.data;
  const problem = problems(r.errors, r.status);
  const found = d && Object.values(d).some((v) => v !== null);
  const panels: HTMLElement[] = [];
  if (problem) panels.push(section('Problems', 'problems', problem));
  if (d && (found || r.errors.length)) {
    panels.push(profilePanel(d, w), identitiesPanel(d, w), valuePanel(d, w), consentPanel(d, w), offersPanel(d, w), feedbackPanel(d, w));
    if (d.profile) panels.push(timelinePanel(id));
  } else if (!problem) {
    panels.push(section('Customer', 'not-found', h('p', null, 'No customer with that id that you may see.')));
  }
  app.replaceChildren(...panels, ...rest);
  app.dataset.customer = id;
  app.dataset.ready = 'true';
}

async function search(): Promise<void> {
  const kind = $<HTMLSelectElement>('kind').value;
  const value = $<HTMLInputElement>('query').value.trim();
  if (!token || !value) return;
  app.dataset.ready = 'false';
  if (kind === 'ID') return openCustomer(value);
  const r = await run(ConsoleLookupDocument, { kind: kind as IdentityKind, value });
  const w = new Withheld(r.errors);
  const id = r.data?.customerByIdentifier?.id;
  if (id) return openCustomer(id);
  const lookup = w.reason(['customerByIdentifier'])
    ? h('p', null, 'Looking customers up by identifier: ', withheld('customerByIdentifier', w.reason(['customerByIdentifier'])), ' Open one from the list, or by customer id.')
    : problems(r.errors, r.status) ?? h('p', null, 'No customer with that identifier.');
  app.replaceChildren(section('Search', 'search-result', lookup), ...(await overview()));
  app.dataset.ready = 'true';
}

async function start(): Promise<void> {
  const c = claims(token);
  $('who').textContent = c.role ? `signed in as ${c.role}${c.sub ? ` (${c.sub})` : ''}` : 'token set';
  app.dataset.ready = 'false';
  app.dataset.role = c.role ?? '';
  if (c.role === 'customer') {
    const me = await run(ConsoleMeDocument, {});
    if (me.data?.me) return openCustomer(me.data.me.id);
  }
  app.replaceChildren(section('Search', 'search-hint', h('p', { class: 'muted' }, 'Search by identifier or open a customer from the list.')), ...(await overview()));
  app.dataset.ready = 'true';
}

function setToken(t: string): void {
  token = t.trim();
  sessionStorage.setItem('rapport-console-token', token);
  if (token) void start().catch(fail);
}

function fail(err: unknown): void {
  app.replaceChildren(section('Problem', 'problem', h('p', { class: 'error', 'data-problem': 'client' }, `Could not reach the API: ${String(err)}`)));
  app.dataset.ready = 'true';
}

// A token may arrive in the fragment (#token=…, never sent to a server): taken, then cleared from the address.
const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
if (fromHash) history.replaceState(null, '', location.pathname + location.search);
$<HTMLInputElement>('token').addEventListener('change', (e) => setToken((e.target as HTMLInputElement).value));
$('search').addEventListener('click', () => void search().catch(fail));
$<HTMLInputElement>('query').addEventListener('keydown', (e) => e.key === 'Enter' && void search().catch(fail));
const initial = fromHash ?? sessionStorage.getItem('rapport-console-token') ?? '';
if (initial) {
  $<HTMLInputElement>('token').value = initial;
  setToken(initial);
}
