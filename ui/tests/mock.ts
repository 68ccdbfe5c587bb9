// The core as the dashboard's tests see it: `handler(cmd, args)` answers each
// request of the API's one `call` command (a throw is the core's error);
// events go out on the API's one channel (`emitCore`).
import { mockIPC } from '@tauri-apps/api/mocks';
import { emit } from '@tauri-apps/api/event';
import { EVENT_CHANNEL } from '../src/lib/api';
import type { Event } from '../src/lib/generated/api';

export type Handler = (cmd: string, args: Record<string, unknown>) => unknown;

export function mockCore(handler: Handler) {
  mockIPC(
    async (cmd, args) => {
      if (cmd !== 'call') return handler(cmd, (args ?? {}) as Record<string, unknown>);
      const r = (args as { request: { cmd: string; args?: Record<string, unknown> } }).request;
      const value = await handler(r.cmd, r.args ?? {});
      return { kind: r.cmd, value: value ?? null };
    },
    { shouldMockEvents: true },
  );
}

export const emitCore = (ev: Event) => emit(EVENT_CHANNEL, ev);

/** As serde sends it: a field that is None is left out, where the generated
 * types say `T | null`. Test data written as `Wire<T>` may leave those keys
 * out; nothing else may differ from the generated types. */
export type Wire<T> = T extends Array<infer U>
  ? Wire<U>[]
  : T extends object
    ? { [K in keyof T as null extends T[K] ? never : K]: Wire<T[K]> } & { [K in keyof T as null extends T[K] ? K : never]?: Wire<T[K]> }
    : T;
export const wire = <T>(x: Wire<T>): T => x as T;
