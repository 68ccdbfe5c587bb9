// The add/edit form model: which fields each type shows, and the mapping
// between the form's strings and the core's `ProfileInput`.
import type { ProfileInput, Problem, SecretInput, TypeGuide } from './generated/api';

export const TYPES = [
  'access-key',
  'kms-secret',
  'sts-token',
  'ram-role-arn',
  'ecs-ram-role',
  'oidc-role-arn',
  'environment',
  'credentials-uri',
  'external',
  'cloud-sso',
  'oauth',
] as const;
export type ProfileTypeName = (typeof TYPES)[number];

export type FieldKey = Exclude<keyof ProfileInput, 'name' | 'type'>;

export interface FieldDef {
  key: FieldKey;
  label: string;
  /** `session`: a CloudSSO session name, offered from the known ones; `select`: one of
   * `options`; `hidden`: not shown, but kept as loaded when editing. */
  kind: 'text' | 'number' | 'checkbox' | 'textarea' | 'source' | 'url' | 'path' | 'session' | 'select' | 'hidden';
  options?: Array<{ value: string; label: string }>;
  placeholder?: string;
  help?: string;
  required?: boolean;
  advanced?: boolean;
}

const F = {
  region: { key: 'region', label: 'Region', kind: 'text', placeholder: 'cn-hangzhou', help: 'Picks regional endpoints (sts.<region>.aliyuncs.com).' },
  description: { key: 'description', label: 'Description', kind: 'text', placeholder: 'What this profile is for' },
  role_arn: { key: 'role_arn', label: 'Role ARN', kind: 'text', placeholder: 'acs:ram::1234567890123456:role/my-role', required: true },
  session_name: { key: 'session_name', label: 'Session name', kind: 'text', placeholder: 'alicred-you', help: 'Shown in ActionTrail. Default: alicred-<user>.' },
  duration: { key: 'duration', label: 'Duration (seconds)', kind: 'number', placeholder: '3600', help: '900 to the role’s maximum (≤ 43200).' },
  policy: { key: 'policy', label: 'Policy (JSON, optional)', kind: 'textarea', placeholder: '{"Version":"1","Statement":[…]}', help: 'Narrows the role’s permissions for this session.' },
  external_id: { key: 'external_id', label: 'External ID', kind: 'text', help: 'Only if the role’s trust policy asks for one.' },
  source: { key: 'source', label: 'Source profile', kind: 'source', required: true, help: 'Whose credentials assume the role. Any type; chains are allowed.' },
  role_name: { key: 'role_name', label: 'Role name', kind: 'text', placeholder: 'discovered from the metadata service', help: 'Leave empty to use the instance’s role.' },
  imdsv1_disabled: { key: 'imdsv1_disabled', label: 'Require IMDSv2 (refuse the token-less IMDSv1)', kind: 'checkbox' },
  oidc_provider_arn: { key: 'oidc_provider_arn', label: 'OIDC provider ARN', kind: 'text', placeholder: 'acs:ram::1234567890123456:oidc-provider/ack-rrsa', required: true },
  oidc_token_file: { key: 'oidc_token_file', label: 'OIDC token file', kind: 'path', placeholder: '/var/run/secrets/ack.alibabacloud.com/rrsa-tokens/token', required: true, help: 'Re-read at every refresh.' },
  uri: { key: 'uri', label: 'Credentials URI', kind: 'url', placeholder: 'http://127.0.0.1:8080/credentials', required: true },
  command: { key: 'command', label: 'Command', kind: 'text', placeholder: '/usr/local/bin/get-creds --profile prod', required: true, help: 'Run without a shell; must print aliyun CLI External JSON.' },
  timeout_seconds: { key: 'timeout_seconds', label: 'Timeout (seconds)', kind: 'number', placeholder: '60' },
  secret_name: { key: 'secret_name', label: 'KMS secret name', kind: 'text', required: true, placeholder: 'my-ram-credentials' },
  client_key_file: { key: 'client_key_file', label: 'ClientKey file', kind: 'path', required: true, placeholder: '/home/you/clientKey_KAAP.json' },
  client_key_password_env: { key: 'client_key_password_env', label: 'Password environment variable', kind: 'text', placeholder: 'CLIENT_KEY_PASSWORD', help: 'Give this or a password file.' },
  client_key_password_file: { key: 'client_key_password_file', label: 'Password file', kind: 'path', placeholder: '/home/you/clientKey_password.txt' },
  expiration: { key: 'expiration', label: 'Expiration (UTC)', kind: 'text', placeholder: '2026-01-01T12:00:00Z', help: 'When the token expires, so alicred can warn you in time.' },
  max_key_age_days: { key: 'max_key_age_days', label: 'Rotate after (days)', kind: 'number', placeholder: '90', help: 'Age policy; alicred reminds you to rotate.' },
  user_name: { key: 'user_name', label: 'RAM user name', kind: 'text', placeholder: 'the key’s own user', help: 'Owner of the key, used for rotation.' },
  sts_endpoint: { key: 'sts_endpoint', label: 'STS endpoint', kind: 'url', placeholder: 'https://sts.aliyuncs.com', advanced: true },
  ram_endpoint: { key: 'ram_endpoint', label: 'RAM endpoint', kind: 'url', placeholder: 'https://ram.aliyuncs.com', advanced: true },
  kms_endpoint: { key: 'kms_endpoint', label: 'KMS endpoint', kind: 'url', placeholder: 'https://kms.cn-hangzhou.aliyuncs.com', advanced: true },
  metadata_endpoint: { key: 'metadata_endpoint', label: 'Metadata endpoint', kind: 'url', placeholder: 'http://100.100.100.200', advanced: true },
  sso_session: { key: 'sso_session', label: 'CloudSSO session', kind: 'session', placeholder: 'corp', required: true, help: 'The sign-in this profile shares with the other accounts of your organisation.' },
  sign_in_url: { key: 'sign_in_url', label: 'Sign-in URL', kind: 'url', placeholder: 'https://signin-cn-shanghai.alibabacloudsso.com/d-xxxx/login', help: 'Your CloudSSO user portal; filled in when the session is known.' },
  account_id: { key: 'account_id', label: 'Account ID', kind: 'text', placeholder: '1234567890123456', required: true },
  access_config: { key: 'access_config', label: 'Access configuration ID', kind: 'text', placeholder: 'ac-xxxxxxxx', required: true, help: 'One you are assigned in that account.' },
  account_name: { key: 'account_name', label: 'Account name', kind: 'hidden' },
  access_config_name: { key: 'access_config_name', label: 'Access configuration name', kind: 'hidden' },
  site: {
    key: 'site', label: 'Site', kind: 'select', help: 'Where you sign in to the console.',
    options: [{ value: 'cn', label: 'China (aliyun.com)' }, { value: 'intl', label: 'International (alibabacloud.com)' }],
  },
  oauth_sign_in_url: { key: 'oauth_sign_in_url', label: 'OAuth sign-in URL', kind: 'url', placeholder: 'https://signin.aliyun.com', advanced: true },
  oauth_endpoint: { key: 'oauth_endpoint', label: 'OAuth token endpoint', kind: 'url', placeholder: 'https://oauth.aliyun.com', advanced: true },
  client_id: { key: 'client_id', label: 'OAuth client ID', kind: 'text', placeholder: 'the site’s aliyun CLI app', advanced: true },
} satisfies Record<string, FieldDef>;

const TYPE_FIELDS: Record<ProfileTypeName, FieldDef[]> = {
  'access-key': [F.max_key_age_days, F.user_name, F.sts_endpoint, F.ram_endpoint],
  'kms-secret': [F.secret_name, F.client_key_file, F.client_key_password_env, F.client_key_password_file, F.kms_endpoint],
  'sts-token': [F.expiration, F.sts_endpoint],
  'ram-role-arn': [F.source, F.role_arn, F.session_name, F.duration, F.external_id, F.policy, F.sts_endpoint],
  'ecs-ram-role': [F.role_name, F.imdsv1_disabled, F.metadata_endpoint],
  'oidc-role-arn': [F.role_arn, F.oidc_provider_arn, F.oidc_token_file, F.session_name, F.duration, F.policy, F.sts_endpoint],
  environment: [],
  'credentials-uri': [F.uri],
  external: [F.command, F.timeout_seconds],
  'cloud-sso': [F.sso_session, F.sign_in_url, F.account_id, F.access_config, F.account_name, F.access_config_name, F.sts_endpoint],
  oauth: [F.site, F.oauth_sign_in_url, F.oauth_endpoint, F.client_id, F.sts_endpoint],
};

export const COMMON_FIELDS: FieldDef[] = [F.region, F.description];

export function fieldsFor(type: string): FieldDef[] {
  return TYPE_FIELDS[type as ProfileTypeName] ?? [];
}

/** The form offers the known CloudSSO sessions when it shows a session field
 *  (decided by the field, not by the type's name). */
export function asksForSessions(type: string): boolean {
  return fieldsFor(type).some((f) => f.kind === 'session');
}

const SECRET_KEYS: Array<keyof SecretInput> = ['access_key_id', 'access_key_secret', 'security_token'];

/** Which secret inputs a type asks for (kept only until submit): the core's
 * type guide says, so no type name is matched here. */
export function secretFieldsFor(guide: TypeGuide | undefined): Array<keyof SecretInput> {
  return SECRET_KEYS.filter((k) => guide?.secret_fields?.includes(k));
}

export const SECRET_LABELS: Record<keyof SecretInput, string> = {
  access_key_id: 'AccessKey ID',
  access_key_secret: 'AccessKey secret',
  security_token: 'Security token',
};

/** Field values as the form holds them (no secrets here). */
export type FormValues = { name: string; type: string } & Partial<Record<FieldKey, string | boolean>>;

const ALL_KEYS: FieldKey[] = [
  'region', 'description', 'role_arn', 'session_name', 'policy', 'duration', 'external_id', 'source', 'role_name',
  'imdsv1_disabled', 'oidc_provider_arn', 'oidc_token_file', 'uri', 'command', 'timeout_seconds', 'secret_name',
  'client_key_file', 'client_key_password_env', 'client_key_password_file', 'expiration', 'max_key_age_days',
  'user_name', 'sts_endpoint', 'ram_endpoint', 'kms_endpoint', 'metadata_endpoint', 'sso_session', 'sign_in_url',
  'account_id', 'account_name', 'access_config', 'access_config_name', 'site', 'oauth_sign_in_url', 'oauth_endpoint',
  'client_id',
];

export function emptyInput(): ProfileInput {
  const i = { name: '', type: '' } as Record<string, unknown>;
  for (const k of ALL_KEYS) i[k] = k === 'imdsv1_disabled' ? false : null;
  return i as unknown as ProfileInput;
}

/** The form's field name for a core problem: `role-arn` → `role_arn`. */
export function problemKey(field: string): string {
  return field.replace(/-/g, '_');
}

/**
 * Form → `ProfileInput`. Only the selected type's fields are sent (values
 * left over from another type would be "does not apply" errors); blanks
 * become null; numbers are parsed, and a non-number is a local problem.
 */
export function toInput(values: FormValues): { input: ProfileInput; problems: Problem[] } {
  const input = emptyInput();
  const problems: Problem[] = [];
  input.name = values.name.trim();
  input.type = values.type;
  const allowed = [...COMMON_FIELDS, ...fieldsFor(values.type)];
  const rec = input as unknown as Record<string, unknown>;
  for (const f of allowed) {
    const v = values[f.key];
    if (f.kind === 'checkbox') {
      rec[f.key] = v === true;
      continue;
    }
    const s = typeof v === 'string' ? v.trim() : '';
    if (!s) continue;
    if (f.kind === 'number') {
      if (!/^\d+$/.test(s)) {
        problems.push({ field: f.key.replace(/_/g, '-'), severity: 'error', message: 'must be a whole number' });
        continue;
      }
      rec[f.key] = Number(s);
    } else {
      rec[f.key] = s;
    }
  }
  return { input, problems };
}

/** `ProfileInput` (from get_profile_input) → form values, for editing. */
export function fromInput(input: ProfileInput): FormValues {
  const v: FormValues = { name: input.name, type: input.type };
  const rec = input as unknown as Record<string, unknown>;
  for (const k of ALL_KEYS) {
    const x = rec[k];
    if (x === null || x === undefined) continue;
    v[k] = typeof x === 'boolean' ? x : String(x);
  }
  return v;
}

/** Group problems by form field; unknown fields go under "_form". */
export function problemsByField(problems: Problem[], known: string[]): Record<string, Problem[]> {
  const out: Record<string, Problem[]> = {};
  for (const p of problems) {
    const k = problemKey(p.field);
    const key = known.includes(k) ? k : '_form';
    (out[key] ??= []).push(p);
  }
  return out;
}

/** Quick local check of the secret inputs (the backend checks again). */
export function checkSecret(guide: TypeGuide | undefined, s: Partial<SecretInput>, editing: boolean): Problem[] {
  const need = secretFieldsFor(guide);
  if (!need.length) return [];
  const filled = need.some((k) => (s[k] ?? '').trim() !== '');
  // When editing, leaving all secret fields empty keeps the stored secret.
  if (editing && !filled) return [];
  const out: Problem[] = [];
  for (const k of need) {
    const v = (s[k] ?? '').trim();
    if (!v) out.push({ field: k, severity: 'error', message: `is required${editing ? ' (or leave all secret fields empty to keep the stored one)' : ''}` });
    else if (k === 'access_key_id' && !/^[A-Za-z0-9._-]{1,128}$/.test(v))
      out.push({ field: k, severity: 'error', message: 'must be 1–128 letters, digits, “.”, “_” or “-”' });
    else if (k === 'access_key_secret' && /\s/.test(v)) out.push({ field: k, severity: 'error', message: 'must contain no spaces' });
  }
  return out;
}

/** Build the secret to send, or null when nothing was typed. */
export function toSecret(guide: TypeGuide | undefined, s: Partial<SecretInput>): SecretInput | null {
  const need = secretFieldsFor(guide);
  if (!need.length) return null;
  if (!need.some((k) => (s[k] ?? '').trim() !== '')) return null;
  const out: SecretInput = {
    access_key_id: (s.access_key_id ?? '').trim(),
    access_key_secret: (s.access_key_secret ?? '').trim(),
    security_token: need.includes('security_token') ? (s.security_token ?? '').trim() : null,
  };
  return out;
}

/** A small debounce for validate-as-you-type. */
export function debounce<A extends unknown[]>(fn: (...a: A) => void, waitMs: number): ((...a: A) => void) & { cancel(): void } {
  let t: ReturnType<typeof setTimeout> | undefined;
  const d = (...a: A) => {
    if (t) clearTimeout(t);
    t = setTimeout(() => {
      t = undefined;
      fn(...a);
    }, waitMs);
  };
  d.cancel = () => {
    if (t) clearTimeout(t);
    t = undefined;
  };
  return d;
}
