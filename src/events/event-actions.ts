/**
 * Every action an event records, `<what>.<verb>`. A filter naming anything else is refused, so
 * a typo answers 400 instead of an empty list that looks like "nothing happened".
 */
export const EVENT_ACTIONS = [
  'app.create',
  'app.update',
  'app.start',
  'app.stop',
  'app.restart',
  'app.rebuild',
  'app.delete',
  'app.move',
  'app.config',
  'app.bind',
  'app.unbind',
  'release.create',
  'release.rollback',
  'storage.create',
  'storage.password',
  'storage.note',
  'storage.delete',
  'domain.verify',
  'domain.delete',
  'member.role',
  'member.remove',
  'invitation.create',
  'invitation.withdraw',
  'invitation.accept',
  'company.create',
  'company.rename',
  'company.delete',
  'token.create',
  'token.revoke',
  'token.stream_ticket',
  'account.update',
  'account.password',
  'auth.register',
  'auth.login',
  'auth.login_failed',
] as const;
export type EventAction = (typeof EVENT_ACTIONS)[number];

/** What an event acted on; its id is what the API's paths name it by (a domain by its name, a member by account id). */
export const EVENT_TARGET_TYPES = ['app', 'storage', 'domain', 'member', 'invitation', 'company', 'token', 'account'] as const;
export type EventTargetType = (typeof EVENT_TARGET_TYPES)[number];

/**
 * An event's details: small, and never a secret. Changes name the fields they changed
 * (`{"fields": ["plan", "domains"]}`), not the values, so a password, an SSH key or a token
 * cannot end up here by being passed along with the rest.
 */
export type EventData = Record<string, string | number | boolean | null | string[] | number[]>;

/** What a service records about one change. */
export interface NewEvent {
  action: EventAction;
  /** The company the change happened in; null for the account's own events (logins, tokens, the account itself). */
  companyId: number | null;
  target: { type: EventTargetType; id: number | string } | null;
  data?: EventData;
}
