// Shapes the Tauri commands exchange with the dashboard. They mirror the
// core's serde output (snake_case fields, kebab-case enum values).

export type StateKind = 'idle' | 'fresh' | 'refreshing' | 'degraded' | 'expired' | 'needs-user';

export interface ProfileState {
  kind: StateKind;
  expires?: string | null;
  error?: string;
  retry_at?: string;
  why?: string;
}

export interface ChainLink {
  name: string;
  type: string;
  role_arn?: string | null;
  session_name?: string | null;
  duration_seconds?: number | null;
  policy: boolean;
}

export interface Consumer {
  pid: number;
  exe: string;
  count: number;
  last_seen: string;
}

/** `alicred_core::rotation::RotationStatus` (access-key profiles). */
export interface RotationStatus {
  profile?: string;
  key_id_hint?: string | null;
  created?: string | null;
  age_days?: number | null;
  max_age_days?: number;
  due?: boolean;
  last_rotation?: string | null;
  pending_step?: string | null;
  delete_after?: string | null;
  error?: string | null;
}

/** How a profile rotates (`alicred_core::profile::RotationMethod`). */
export type RotationMethod = 'ram' | 'kms';

/** `alicred_core::engine::Capabilities`: the core's rules about a profile. */
export interface Capabilities {
  rotatable: boolean;
  rotation?: RotationMethod | null;
  refreshes_itself: boolean;
  needs_attention: boolean;
  needs_sign_in: boolean;
  /** Can open the web console (it hands out STS credentials). */
  console?: boolean;
  /** What only the user can do, when only the user can bring it back. */
  remedy?: 'sign-in' | 'new-secret' | 'edit-profile' | null;
}

/** `alicred_core::usecases::RotatePlan`. */
export interface RotatePlan {
  method: RotationMethod;
  grace_seconds?: number | null;
}

/** What the rotate command returns: one line for people, and the details. */
export interface RotateResult {
  message: string;
  rotated: { method: RotationMethod; [k: string]: unknown };
}

export interface RotationReport {
  profile: string;
  step: string;
  old_key_id: string;
  new_key_id?: string | null;
  delete_after?: string | null;
  message: string;
}

export interface ProfileStatus {
  name: string;
  type: string;
  active: boolean;
  state: ProfileState;
  capabilities: Capabilities;
  /** The role the last fetch assumed (role profiles). */
  role_arn?: string | null;
  /** When KMS rotates the secret next (kms-secret profiles). */
  next_rotation?: string | null;
  issued_at?: string | null;
  expires_at?: string | null;
  refresh_at?: string | null;
  last_refresh?: string | null;
  last_error?: string | null;
  access_key_id_hint?: string | null;
  chain: ChainLink[];
  handouts: number;
  consumers: Consumer[];
  rotation?: RotationStatus | null;
  /** The browser sign-in behind a cloud-sso or oauth profile. */
  sign_in?: SignInView | null;
}

/** `alicred_core::engine::SignInView`: whose sign-in a profile uses and until when. */
export interface SignInView {
  kind: 'cloud-sso' | 'oauth';
  /** The CloudSSO session (null for oauth). */
  session: string | null;
  account_id?: string | null;
  account_name?: string | null;
  access_config_id?: string | null;
  access_config_name?: string | null;
  /** RFC 3339: when the CloudSSO sign-in ends. */
  expires_at: string | null;
  signed_in: boolean;
}

/** A sign-in waiting for the user (`alicred://sign-in-prompt`, `sign_in_prompt`). */
export interface SignInPrompt {
  profile: string | null;
  session: string | null;
  user_code: string | null;
  url: string;
  expires_in: number | null;
}

/** What `sign_in` resolves with. */
export interface SignInDone {
  expires_at: string | null;
  profiles: string[];
}

/** `alicred://sign-in-done`. */
export interface SignInDoneEvent {
  ok: boolean;
  message: string | null;
  expires_at: string | null;
  profiles: string[];
}

/** `alicred_core::signin::SsoSessionInfo`. */
export interface SsoSessionInfo {
  name: string;
  sign_in_url: string | null;
  signed_in: boolean;
  expires_at: string | null;
  profiles: string[];
}

export type EventKind =
  | 'refreshed'
  | 'refresh-failed'
  | 'state-changed'
  | 'handout'
  | 'expiring-soon'
  | 'needs-user'
  | 'key-due'
  | 'rotation'
  | 'invalidated'
  | 'config-reloaded'
  | 'agent';

export interface AppEvent {
  id: number;
  at: string;
  profile?: string | null;
  kind: EventKind;
  /** The event's facts by kind (`alicred_core::engine::EventData`). */
  data?: { type: string; [k: string]: unknown };
  message: string;
}

export interface TimelineBucket {
  start: string;
  refreshes: number;
  failures: number;
  handouts: number;
}

export interface TypeGuide {
  type: string;
  title: string;
  use_when: string;
  needs_key_up_front: string;
  underlying: string;
  refresh: string;
  /** The secret inputs the type takes (kept in the keyring), from the core. */
  secret_fields?: Array<keyof SecretInput>;
}

export interface Problem {
  field: string;
  severity: 'error' | 'warning';
  message: string;
}

/** `alicred_core::profile::ProfileInput`, field for field. */
export interface ProfileInput {
  name: string;
  type: string;
  region: string | null;
  description: string | null;
  role_arn: string | null;
  session_name: string | null;
  policy: string | null;
  duration: number | null;
  external_id: string | null;
  source: string | null;
  role_name: string | null;
  imdsv1_disabled: boolean;
  oidc_provider_arn: string | null;
  oidc_token_file: string | null;
  uri: string | null;
  command: string | null;
  timeout_seconds: number | null;
  secret_name: string | null;
  client_key_file: string | null;
  client_key_password_env: string | null;
  client_key_password_file: string | null;
  expiration: string | null;
  max_key_age_days: number | null;
  user_name: string | null;
  sts_endpoint: string | null;
  ram_endpoint: string | null;
  kms_endpoint: string | null;
  metadata_endpoint: string | null;
  sso_session: string | null;
  sign_in_url: string | null;
  account_id: string | null;
  account_name: string | null;
  access_config: string | null;
  access_config_name: string | null;
  site: string | null;
  oauth_sign_in_url: string | null;
  oauth_endpoint: string | null;
  client_id: string | null;
}

/** Sent once with add_profile and then dropped. */
export interface SecretInput {
  access_key_id: string;
  access_key_secret: string;
  security_token?: string;
}

export interface CallerIdentity {
  account_id: string;
  arn: string;
  user_id?: string;
  identity_type?: string;
  [k: string]: unknown;
}

export interface EndpointInfo {
  /** Base URL of the active profile's credentials (token included). */
  url: string | null;
  export_line: string | null;
  listen: string | null;
  running: boolean;
  error?: string | null;
}

export interface Settings {
  autostart: boolean;
  theme: 'system' | 'light' | 'dark';
}

/** What a failed command returns. */
export interface CommandError {
  message: string;
  problems?: Problem[];
}
