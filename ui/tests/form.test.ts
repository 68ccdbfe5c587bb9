import { describe, expect, it, vi } from 'vitest';
import { asksForSessions, checkSecret, debounce, fieldsFor, fromInput, problemsByField, secretFieldsFor, toInput, toSecret, typesOf } from '../src/lib/form';
import type { TypeGuide } from '../src/lib/generated/api';
import { forms as coreForms, guides as coreGuides } from './fixtures/profiles';

// The forms and guides exactly as the core's API sends them (generated).
const FORMS = coreForms();
const TYPES = typesOf(FORMS);
const toIn = (v: Parameters<typeof toInput>[1]) => toInput(FORMS, v);
const fields = (t: string) => fieldsFor(FORMS, t);

/** A type guide as the core sends it; only `secret_fields` matters here. */
const guide = (type: string, secret_fields: TypeGuide['secret_fields'] = []): TypeGuide => ({
  // A type name the core may not know yet: the guide is what matters here.
  type: type as TypeGuide['type'], title: type, use_when: '', needs_key_up_front: '', underlying: '', refresh: '', secret_fields,
});
const AK = guide('access-key', ['access_key_id', 'access_key_secret']);
const STS = guide('sts-token', ['access_key_id', 'access_key_secret', 'security_token']);

describe('form → ProfileInput', () => {
  it('sends only the chosen type’s fields, trimmed, with blanks as null', () => {
    const { input, problems } = toIn({
      name: ' dev ',
      type: 'ram-role-arn',
      source: 'base',
      role_arn: ' acs:ram::1:role/dev ',
      duration: '900',
      session_name: '',
      uri: 'http://left.over/from/another/type',
    });
    expect(problems).toEqual([]);
    expect(input.name).toBe('dev');
    expect(input.type).toBe('ram-role-arn');
    expect(input.source).toBe('base');
    expect(input.role_arn).toBe('acs:ram::1:role/dev');
    expect(input.duration).toBe(900);
    expect(input.session_name).toBeNull();
    expect(input.uri).toBeNull();
    expect(input.imdsv1_disabled).toBe(false);
  });
  it('reports non-numbers under the field, in the core’s kebab-case', () => {
    const { input, problems } = toIn({ name: 'x', type: 'external', command: 'c', timeout_seconds: '1m' });
    expect(input.timeout_seconds).toBeNull();
    expect(problems).toEqual([{ field: 'timeout-seconds', severity: 'error', message: 'must be a whole number' }]);
  });
  it('checkboxes are booleans', () => {
    expect(toIn({ name: 'e', type: 'ecs-ram-role', imdsv1_disabled: true }).input.imdsv1_disabled).toBe(true);
  });
  it('round-trips through fromInput for edit forms', () => {
    const { input } = toIn({ name: 'o', type: 'oidc-role-arn', role_arn: 'r', oidc_provider_arn: 'p', oidc_token_file: '/t', duration: '1200', region: 'cn-hangzhou' });
    const back = fromInput(input);
    expect(back).toMatchObject({ name: 'o', type: 'oidc-role-arn', role_arn: 'r', duration: '1200', region: 'cn-hangzhou' });
    expect(toIn(back).input).toEqual(input);
  });
  it('offers the known sessions only where a session field is shown', () => {
    expect(TYPES.filter((t) => asksForSessions(FORMS, t))).toEqual(['cloud-sso']);
    expect(asksForSessions(FORMS, 'not-a-type')).toBe(false);
  });
  it('every type the core knows is offered, each with the common fields first', () => {
    expect(TYPES).toEqual(coreGuides().map((g) => g.type));
    expect(TYPES).toContain('bearer-token');
    for (const t of TYPES) expect(fields(t).slice(0, 2).map((f) => f.key)).toEqual(['region', 'description']);
    expect(fields('not-a-type')).toEqual([]);
  });
  it('asks for the secrets the core’s guide names, whatever the type is called', () => {
    expect(secretFieldsFor(AK)).toEqual(['access_key_id', 'access_key_secret']);
    expect(secretFieldsFor(STS)).toContain('security_token');
    expect(secretFieldsFor(guide('ecs-ram-role'))).toEqual([]);
    // A type the UI has never heard of gets its secret fields from the core too.
    expect(secretFieldsFor(guide('brand-new', ['access_key_id', 'access_key_secret']))).toEqual(['access_key_id', 'access_key_secret']);
    // …and access-key gets none if the core says it takes none (no name matching here).
    expect(secretFieldsFor(guide('access-key'))).toEqual([]);
    expect(secretFieldsFor(undefined)).toEqual([]);
  });
  it('cloud-sso sends its session, account and access configuration, and keeps the portal’s names on edit', () => {
    const { input, problems } = toIn({
      name: 'corp-prod-admin', type: 'cloud-sso', sso_session: ' corp ', sign_in_url: 'https://portal.example/login',
      account_id: '1234567890123456', access_config: 'ac-1', account_name: 'Prod', access_config_name: 'Admin', site: 'cn',
    });
    expect(problems).toEqual([]);
    expect(input).toMatchObject({ sso_session: 'corp', sign_in_url: 'https://portal.example/login', account_id: '1234567890123456',
      access_config: 'ac-1', account_name: 'Prod', access_config_name: 'Admin', site: null });
    expect(fields('cloud-sso').filter((f) => f.kind === 'hidden').map((f) => f.key)).toEqual(['account_name', 'access_config_name']);
    expect(toIn(fromInput(input)).input).toEqual(input);
  });
  it('oauth sends its site and the advanced overrides only', () => {
    const { input } = toIn({ name: 'me', type: 'oauth', site: 'intl', oauth_endpoint: 'http://127.0.0.1:1', client_id: '42', sso_session: 'x' });
    expect(input).toMatchObject({ site: 'intl', oauth_endpoint: 'http://127.0.0.1:1', client_id: '42', sso_session: null });
    expect(fields('oauth').find((f) => f.key === 'site')?.options?.map((o) => o.value)).toEqual(['cn', 'intl']);
    expect(fields('oauth').filter((f) => f.advanced).map((f) => f.key)).toEqual(['region', 'description', 'oauth_sign_in_url', 'oauth_endpoint', 'client_id', 'sts_endpoint']);
  });
});

describe('problems and secrets', () => {
  it('groups problems by field, unknown ones under _form', () => {
    const g = problemsByField(
      [
        { field: 'role-arn', severity: 'error', message: 'a' },
        { field: 'sts-endpoint', severity: 'warning', message: 'b' },
        { field: 'mystery', severity: 'error', message: 'c' },
      ],
      ['role_arn', 'sts_endpoint'],
    );
    expect(g.role_arn[0].message).toBe('a');
    expect(g.sts_endpoint[0].severity).toBe('warning');
    expect(g._form[0].message).toBe('c');
  });
  it('checks secrets locally', () => {
    expect(checkSecret(AK, {}, false).map((p) => p.field)).toEqual(['access_key_id', 'access_key_secret']);
    expect(checkSecret(AK, {}, true)).toEqual([]);
    expect(checkSecret(AK, { access_key_id: 'bad id', access_key_secret: 'ok' }, false)[0].field).toBe('access_key_id');
    expect(checkSecret(guide('credentials-uri'), {}, false)).toEqual([]);
  });
  it('builds the secret only when typed', () => {
    expect(toSecret(AK, {})).toBeNull();
    expect(toSecret(AK, { access_key_id: ' AK ', access_key_secret: 'S' })).toEqual({ access_key_id: 'AK', access_key_secret: 'S', security_token: null });
    expect(toSecret(STS, { access_key_id: 'STS.a', access_key_secret: 's', security_token: 't' })).toMatchObject({ security_token: 't' });
    expect(toSecret(AK, { access_key_id: 'a', access_key_secret: 's', security_token: 't' })).toMatchObject({ security_token: null });
    expect(toSecret(guide('external'), { access_key_id: 'x' })).toBeNull();
    // A bearer-token profile's secret is its token, as its guide says.
    const BT = coreGuides().find((g) => g.type === 'bearer-token');
    expect(secretFieldsFor(BT)).toEqual(['bearer_token']);
    expect(toSecret(BT, { bearer_token: ' tok ' })).toEqual({ bearer_token: 'tok' });
    expect(toSecret(BT, {})).toBeNull();
    expect(checkSecret(BT, {}, false).map((p) => p.field)).toEqual(['bearer_token']);
  });
  it('debounces', () => {
    vi.useFakeTimers();
    const f = vi.fn();
    const d = debounce(f, 100);
    d(1);
    d(2);
    vi.advanceTimersByTime(99);
    expect(f).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(f).toHaveBeenCalledExactlyOnceWith(2);
    d(3);
    d.cancel();
    vi.advanceTimersByTime(500);
    expect(f).toHaveBeenCalledTimes(1);
    vi.useRealTimers();
  });
});
