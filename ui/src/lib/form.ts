// The add/edit form model: the mapping between the form's strings and the
// core's `ProfileInput`. Which fields a type shows, in which order and with
// which words, is the core's (the API's `form_fields`), not this file's.
import type { Field, ProfileInput, Problem, SecretInput, TypeFields, TypeGuide } from './generated/api';

export type FieldDef = Field;
export type FieldKey = Exclude<keyof ProfileInput, 'name' | 'type'>;

/** The types, in the core's order. */
export function typesOf(forms: TypeFields[]): string[] {
  return forms.map((f) => f.type);
}

/** A type's fields as the core lists them: the common ones first. */
export function fieldsFor(forms: TypeFields[], type: string): Field[] {
  return forms.find((f) => f.type === type)?.fields ?? [];
}

/** The form offers the known CloudSSO sessions when it shows a session field
 *  (decided by the field, not by the type's name). */
export function asksForSessions(forms: TypeFields[], type: string): boolean {
  return fieldsFor(forms, type).some((f) => f.kind === 'session');
}

/** Every secret input the core's `SecretInput` has. */
export type SecretKey = 'access_key_id' | 'access_key_secret' | 'security_token' | 'bearer_token';
/** What the form holds of the secret until submit. */
export type SecretValues = Partial<Record<SecretKey, string>>;

const SECRET_KEYS: SecretKey[] = ['access_key_id', 'access_key_secret', 'security_token', 'bearer_token'];

/** Which secret inputs a type asks for (kept only until submit): the core's
 * type guide says, so no type name is matched here. */
export function secretFieldsFor(guide: TypeGuide | undefined): SecretKey[] {
  return SECRET_KEYS.filter((k) => guide?.secret_fields?.includes(k));
}

export const SECRET_LABELS: Record<SecretKey, string> = {
  access_key_id: 'AccessKey ID',
  access_key_secret: 'AccessKey secret',
  security_token: 'Security token',
  bearer_token: 'Bearer token',
};

/** Field values as the form holds them (no secrets here). */
export type FormValues = { name: string; type: string } & Partial<Record<FieldKey, string | boolean>>;

/** Every field of every type blank (the core reads a missing field as blank). */
export function emptyInput(forms: TypeFields[]): ProfileInput {
  const i = { name: '', type: '' } as Record<string, unknown>;
  for (const f of forms.flatMap((t) => t.fields)) i[f.key] = f.kind === 'checkbox' ? false : null;
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
export function toInput(forms: TypeFields[], values: FormValues): { input: ProfileInput; problems: Problem[] } {
  const input = emptyInput(forms);
  const problems: Problem[] = [];
  input.name = values.name.trim();
  input.type = values.type;
  const rec = input as unknown as Record<string, unknown>;
  for (const f of fieldsFor(forms, values.type)) {
    const v = values[f.key as FieldKey];
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
  for (const [k, x] of Object.entries(input)) {
    if (k === 'name' || k === 'type' || x === null || x === undefined) continue;
    v[k as FieldKey] = typeof x === 'boolean' ? x : String(x);
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
export function checkSecret(guide: TypeGuide | undefined, s: SecretValues, editing: boolean): Problem[] {
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
export function toSecret(guide: TypeGuide | undefined, s: SecretValues): SecretInput | null {
  const need = secretFieldsFor(guide);
  if (!need.length) return null;
  if (!need.some((k) => (s[k] ?? '').trim() !== '')) return null;
  if (need.includes('bearer_token')) return { bearer_token: (s.bearer_token ?? '').trim() };
  return {
    access_key_id: (s.access_key_id ?? '').trim(),
    access_key_secret: (s.access_key_secret ?? '').trim(),
    security_token: need.includes('security_token') ? (s.security_token ?? '').trim() : null,
  };
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
