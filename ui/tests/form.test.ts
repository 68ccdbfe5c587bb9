import { describe, expect, it, vi } from 'vitest';
import { checkSecret, debounce, fieldsFor, fromInput, problemsByField, secretFieldsFor, toInput, toSecret, TYPES } from '../src/lib/form';

describe('form → ProfileInput', () => {
  it('sends only the chosen type’s fields, trimmed, with blanks as null', () => {
    const { input, problems } = toInput({
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
    const { input, problems } = toInput({ name: 'x', type: 'external', command: 'c', timeout_seconds: '1m' });
    expect(input.timeout_seconds).toBeNull();
    expect(problems).toEqual([{ field: 'timeout-seconds', severity: 'error', message: 'must be a whole number' }]);
  });
  it('checkboxes are booleans', () => {
    expect(toInput({ name: 'e', type: 'ecs-ram-role', imdsv1_disabled: true }).input.imdsv1_disabled).toBe(true);
  });
  it('round-trips through fromInput for edit forms', () => {
    const { input } = toInput({ name: 'o', type: 'oidc-role-arn', role_arn: 'r', oidc_provider_arn: 'p', oidc_token_file: '/t', duration: '1200', region: 'cn-hangzhou' });
    const back = fromInput(input);
    expect(back).toMatchObject({ name: 'o', type: 'oidc-role-arn', role_arn: 'r', duration: '1200', region: 'cn-hangzhou' });
    expect(toInput(back).input).toEqual(input);
  });
  it('every type has a field list and only key types ask for a secret', () => {
    for (const t of TYPES) expect(Array.isArray(fieldsFor(t))).toBe(true);
    expect(secretFieldsFor('access-key')).toEqual(['access_key_id', 'access_key_secret']);
    expect(secretFieldsFor('sts-token')).toContain('security_token');
    expect(secretFieldsFor('ecs-ram-role')).toEqual([]);
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
    expect(checkSecret('access-key', {}, false).map((p) => p.field)).toEqual(['access_key_id', 'access_key_secret']);
    expect(checkSecret('access-key', {}, true)).toEqual([]);
    expect(checkSecret('access-key', { access_key_id: 'bad id', access_key_secret: 'ok' }, false)[0].field).toBe('access_key_id');
    expect(checkSecret('credentials-uri', {}, false)).toEqual([]);
  });
  it('builds the secret only when typed', () => {
    expect(toSecret('access-key', {})).toBeNull();
    expect(toSecret('access-key', { access_key_id: ' AK ', access_key_secret: 'S' })).toEqual({ access_key_id: 'AK', access_key_secret: 'S' });
    expect(toSecret('sts-token', { access_key_id: 'STS.a', access_key_secret: 's', security_token: 't' })?.security_token).toBe('t');
    expect(toSecret('external', { access_key_id: 'x' })).toBeNull();
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
