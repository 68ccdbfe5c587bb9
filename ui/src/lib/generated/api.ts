// generated from alicred-core's API types (crates/alicred-core/src/api/ts.rs): do not edit.
// Regenerate: ALICRED_BLESS=1 cargo test -p alicred-core --lib api::ts

export type Request = { "cmd": "list_profiles" } | { "cmd": "get_events", "args": { after: number | null, limit: number | null, } } | { "cmd": "get_timeline", "args": { name: string, since: string | null, } } | { "cmd": "type_guides" } | { "cmd": "form_fields" } | { "cmd": "reload_problem" } | { "cmd": "check_profile", "args": { input: ProfileInput, } } | { "cmd": "add_profile", "args": { input: ProfileInput, secret: SecretInput | null, replace: boolean, } } | { "cmd": "get_profile_input", "args": { name: string, } } | { "cmd": "remove_profile", "args": { name: string, } } | { "cmd": "set_active", "args": { name: string, } } | { "cmd": "refresh", "args": { name: string | null, } } | { "cmd": "verify", "args": { name: string, } } | { "cmd": "rotate_plan", "args": { name: string, } } | { "cmd": "rotate", "args": { name: string, delete_inactive: boolean, } } | { "cmd": "rotation_status", "args": { name: string, } } | { "cmd": "sign_in", "args": { profile: string | null, session: string | null, } } | { "cmd": "start_sign_in", "args": { profile: string | null, session: string | null, } } | { "cmd": "sign_in_prompt" } | { "cmd": "cancel_sign_in" } | { "cmd": "sso_sessions" } | { "cmd": "sign_in_groups" } | { "cmd": "endpoint_info" } | { "cmd": "get_settings" } | { "cmd": "set_settings", "args": { settings: Settings, } } | { "cmd": "open_console", "args": { name: string, } } | { "cmd": "copy_text", "args": { text: string, } } | { "cmd": "open_dashboard" } | { "cmd": "quit" };

export type Response = { "kind": "list_profiles", "value": Array<ProfileStatus> } | { "kind": "get_events", "value": Array<EngineEvent> } | { "kind": "get_timeline", "value": Array<TimelineBucket> } | { "kind": "type_guides", "value": Array<TypeGuide> } | { "kind": "form_fields", "value": Array<TypeFields> } | { "kind": "reload_problem", "value": string | null } | { "kind": "check_profile", "value": Array<Problem> } | { "kind": "add_profile", "value": Array<Problem> } | { "kind": "get_profile_input", "value": ProfileInput } | { "kind": "remove_profile" } | { "kind": "set_active" } | { "kind": "refresh" } | { "kind": "verify", "value": CallerIdentity } | { "kind": "rotate_plan", "value": RotatePlan } | { "kind": "rotate", "value": RotateResult } | { "kind": "rotation_status", "value": RotationStatus } | { "kind": "sign_in", "value": SignInDone } | { "kind": "start_sign_in" } | { "kind": "sign_in_prompt", "value": SignInPrompt | null } | { "kind": "cancel_sign_in", "value": boolean } | { "kind": "sso_sessions", "value": Array<SsoSessionInfo> } | { "kind": "sign_in_groups", "value": Array<SessionGroup> } | { "kind": "endpoint_info", "value": EndpointInfo } | { "kind": "get_settings", "value": Settings } | { "kind": "set_settings", "value": Settings } | { "kind": "open_console" } | { "kind": "copy_text" } | { "kind": "open_dashboard" } | { "kind": "quit" };

export type Event = { "type": "log", event: EngineEvent, } | { "type": "profile", status: ProfileStatus, } | { "type": "profiles", profiles: Array<ProfileStatus>, reload_problem: string | null, } | { "type": "sign_in_prompt", prompt: SignInPrompt, } | { "type": "sign_in_done", ended: SignInEnded, } | { "type": "settings", settings: Settings, } | { "type": "notification", note: Note, } | { "type": "resync" };

export type ApiError = { message: string, problems?: Array<Problem>, };

export type SecretInput = { access_key_id: string, access_key_secret: string, security_token: string | null, } | { bearer_token: string, };

export type RotateResult = { message: string, 
/**
 * The details, by method (`ram`: the RAM report; `kms`: the new version).
 */
rotated: { method: "ram" | "kms" } & Record<string, unknown>, };

export type EndpointInfo = { 
/**
 * The active profile's URL (it carries the endpoint token).
 */
url: string | null, export_line: string | null, listen: string | null, running: boolean, error: string | null, };

export type SignInEnded = { ok: boolean, message: string | null, expires_at: string | null, profiles: Array<string>, };

export type Note = { summary: string, body: string, critical: boolean, 
/**
 * The note's one button, if any.
 */
action: NoteAction | null, };

export type NoteAction = { 
/**
 * Stable id for the notification server ("sign-in", "rotate").
 */
id: string, label: string, request: Request, };

export type Settings = { autostart: boolean, theme: Theme, };

export type Theme = "system" | "light" | "dark";

export type SessionGroup = { session: string, 
/**
 * The session's sign-in holds ([`session_signed_in`]).
 */
signed_in: boolean, 
/**
 * When the sign-in ends (the latest end its profiles know).
 */
expires_at: string | null, 
/**
 * One of its access configurations is the active profile.
 */
active: boolean, 
/**
 * By name.
 */
accounts: Array<AccountGroup>, };

export type AccountGroup = { id: string, 
/**
 * The account's name, else its id.
 */
name: string, active: boolean, 
/**
 * By name.
 */
configs: Array<AccessConfigRow>, };

export type AccessConfigRow = { id: string, 
/**
 * The access configuration's name, else its id, else the profile's name.
 */
name: string, 
/**
 * The profile behind it.
 */
profile: string, };

export type TypeFields = { type: ProfileType, fields: Array<Field>, secret_fields: Array<string>, };

export type Field = { key: string, label: string, kind: FieldKind, placeholder: string | null, help: string | null, required: boolean, 
/**
 * Shown under "Advanced".
 */
advanced: boolean, 
/**
 * The choices of a `select` field.
 */
options: Array<FieldOption>, };

export type FieldKind = "text" | "number" | "checkbox" | "textarea" | "source" | "url" | "path" | "session" | "select" | "hidden";

export type FieldOption = { value: string, label: string, };

export type ProfileStatus = { name: string, type: ProfileType, active: boolean, state: ProfileState, issued_at: string | null, expires_at: string | null, refresh_at: string | null, last_refresh: string | null, last_error: string | null, access_key_id_hint: string | null, 
/**
 * What the user can do with this profile and what it needs; shells
 * read these flags and never re-derive them.
 */
capabilities: Capabilities, 
/**
 * The role the last fetch assumed (role profiles), from the provider.
 */
role_arn: string | null, 
/**
 * When KMS rotates the secret next (kms-secret profiles).
 */
next_rotation: string | null, 
/**
 * The sign-in behind a cloud-sso or oauth profile (none for other types).
 */
sign_in: SignInView | null, 
/**
 * Root source first, this profile last.
 */
chain: Array<ChainLink>, handouts: number, consumers: Array<Consumer>, 
/**
 * When this status was read, as a count: a read that started later has
 * a higher number. Statuses reach a shell by different paths (a pushed
 * change, a list it asked for) and may arrive out of order; a shell
 * keeps, per profile, the status with the highest number. Every change
 * is followed by a push read after it, so that one is what stays.
 */
seq: number, };

export type ProfileState = { "kind": "idle" } | { "kind": "fresh", expires: string | null, } | { "kind": "refreshing", expires: string | null, } | { "kind": "degraded", error: string, retry_at: string, expires: string | null, } | { "kind": "expired", error: string, } | { "kind": "needs-user", why: string, };

export type Capabilities = { 
/**
 * "Rotate now" applies (`rotation` says how).
 */
rotatable: boolean, rotation: RotationMethod | null, 
/**
 * Renews its credentials by itself (else only the user can).
 */
refreshes_itself: boolean, 
/**
 * Something is wrong that the user should see (tray icon, badge).
 */
needs_attention: boolean, 
/**
 * Only an interactive sign-in brings it back.
 */
needs_sign_in: boolean, 
/**
 * What the user must do, when only the user can bring it back.
 */
remedy: Remedy | null, 
/**
 * "Open console" applies (`alicred console`, `UseCases::console_*`).
 */
console: boolean, };

export type SignInView = { 
/**
 * `cloud-sso` or `oauth`.
 */
kind: ProfileType, 
/**
 * The CloudSSO session (its profiles share one sign-in).
 */
session: string | null, account_id: string | null, account_name: string | null, access_config_id: string | null, access_config_name: string | null, 
/**
 * When the CloudSSO session's sign-in ends (OAuth sign-ins renew themselves).
 */
expires_at: string | null, 
/**
 * False: only a sign-in brings the profile back.
 */
signed_in: boolean, };

export type ChainLink = { name: string, type: ProfileType, role_arn: string | null, session_name: string | null, duration_seconds: number | null, 
/**
 * Whether a session policy narrows this link.
 */
policy: boolean, };

export type Consumer = { pid: number, exe: string, count: number, last_seen: string, };

export type EngineEvent = { id: number, at: string, profile: string | null, kind: EventKind, data?: EventData, message: string, };

export type EventKind = "refreshed" | "refresh-failed" | "state-changed" | "handout" | "expiring-soon" | "needs-user" | "key-due" | "rotation" | "invalidated" | "config-reloaded" | "agent";

export type EventData = { "type": "none" } | { "type": "refreshed", expires: string | null, 
/**
 * Restored from the keyring rather than fetched.
 */
restored: boolean, } | { "type": "refresh-failed", error: string, 
/**
 * Retrying by itself may fix it (else only the user can).
 */
transient: boolean, retry_at: string, 
/**
 * Still serving valid cached credentials.
 */
serving: boolean, } | { "type": "expiring-soon", expires: string, 
/**
 * The profile renews itself (then a failing refresh is the story).
 */
refreshes_itself: boolean, } | { "type": "needs-user", why: string, } | { "type": "key-due", age_days: number | null, max_age_days: number, } | { "type": "rotation", outcome: RotationOutcome, };

export type RotationOutcome = "rotated" | "rolled-back" | "failed";

export type TimelineBucket = { start: string, refreshes: number, failures: number, handouts: number, };

export type TypeGuide = { type: ProfileType, title: string, use_when: string, needs_key_up_front: string, underlying: string, refresh: string, 
/**
 * The secret inputs the user types for this type (kept in the keyring), so a
 * form asks for exactly these without knowing the types itself.
 */
secret_fields: Array<string>, };

export type ProfileType = "access-key" | "kms-secret" | "sts-token" | "ram-role-arn" | "ecs-ram-role" | "oidc-role-arn" | "environment" | "credentials-uri" | "external" | "cloud-sso" | "oauth" | "bearer-token";

export type Remedy = "sign-in" | "new-secret" | "edit-profile";

export type RotationMethod = "ram" | "kms";

export type Problem = { field: string, severity: Severity, message: string, };

export type Severity = "error" | "warning";

export type ProfileInput = { name: string, type: string, region: string | null, description: string | null, 
/**
 * The browser command `alicred console` uses for this profile.
 */
console_browser: string | null, role_arn: string | null, session_name: string | null, policy: string | null, duration: number | null, external_id: string | null, source: string | null, role_name: string | null, imdsv1_disabled: boolean, oidc_provider_arn: string | null, oidc_token_file: string | null, uri: string | null, command: string | null, timeout_seconds: number | null, secret_name: string | null, client_key_file: string | null, client_key_password_env: string | null, client_key_password_file: string | null, expiration: string | null, max_key_age_days: number | null, user_name: string | null, sts_endpoint: string | null, ram_endpoint: string | null, kms_endpoint: string | null, metadata_endpoint: string | null, sso_session: string | null, 
/**
 * A cloud-sso profile's portal URL; filled from its session, not typed.
 */
sign_in_url: string | null, account_id: string | null, account_name: string | null, access_config: string | null, access_config_name: string | null, site: string | null, oauth_sign_in_url: string | null, oauth_endpoint: string | null, client_id: string | null, 
/**
 * A bearer-token profile's header (default `x-acs-bearer-token`).
 */
bearer_token_header_key: string | null, };

export type CallerIdentity = { 
/**
 * `Account`, `RAMUser` or `AssumedRoleUser`.
 */
identity_type: string, account_id: string, principal_id: string, arn: string, user_id?: string | null, role_id?: string | null, request_id?: string | null, };

export type RotatePlan = { method: RotationMethod, 
/**
 * RAM: seconds the old key stays (inactive) before it is deleted.
 */
grace_seconds: number | null, };

export type RotationStatus = { profile: string, 
/**
 * `LTAI…abcd` of the key the profile holds now.
 */
key_id_hint: string | null, 
/**
 * RAM's `CreateDate` of that key.
 */
created: string | null, age_days: number | null, max_age_days: number, due: boolean, 
/**
 * When the last rotation finished (rolled-back attempts do not count).
 */
last_rotation: string | null, 
/**
 * An unfinished rotation's step (`awaiting-delete` during the grace period).
 */
pending_step: Step | null, 
/**
 * When the old key of the last rotation will be deleted.
 */
delete_after: string | null, 
/**
 * Why the age is unknown (RAM unreachable, no permission), one line.
 */
error: string | null, };

export type Step = "listing" | "deleting-inactive" | "creating" | "storing-pending" | "verifying" | "switching" | "invalidating" | "deactivating" | "awaiting-delete" | "deleting" | "rolling-back" | "done" | "rolled-back";

export type SignInDone = { 
/**
 * When the CloudSSO sign-in ends (`None` for OAuth: it renews itself).
 */
expires_at: string | null, 
/**
 * The profiles that now work again.
 */
profiles: Array<string>, };

export type SignInPrompt = { profile: string | null, session: string | null, user_code: string | null, url: string, 
/**
 * Seconds the request waits for the user.
 */
expires_in: number | null, };

export type SsoSessionInfo = { name: string, sign_in_url: string | null, signed_in: boolean, expires_at: string | null, profiles: Array<string>, };
