/** Who is asking: the authenticated session a request arrived on. */
export interface RequestContext {
  readonly uid: number;
  readonly sessionId: string;
  readonly serverId: string;
}
