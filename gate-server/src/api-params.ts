/**
 * Path and query parameters of the REST API. They arrive as strings and become the integers the chat
 * protocol expects; ranges (e.g. limit ≤ 100) are left to the chat server's schemas, so each limit
 * is stated once. Failures are the usual 400 VALIDATION_FAILED with `{ field, message }` details.
 */
import { z } from 'zod';
import { parseBody } from './validation';

const DIGITS = /^[0-9]{1,16}$/;

/** A decimal integer ≥ min given once (a repeated query key arrives as an array and is refused). */
function intParam(min: 0 | 1) {
  const rule = min === 1 ? 'must be a positive integer' : 'must be a non-negative integer';
  return z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : `${rule}, given once`) })
    .regex(DIGITS, { error: rule })
    .transform(Number)
    .refine((n) => Number.isSafeInteger(n) && n >= min, { error: rule });
}

export const paramSchemas = {
  conversationId: z.object({ conversationId: intParam(1) }),
  messagePage: z
    .object({
      conversationId: intParam(1),
      beforeSeq: intParam(1).optional(),
      afterSeq: intParam(0).optional(),
      limit: intParam(1).optional(),
    })
    .refine((p) => p.beforeSeq === undefined || p.afterSeq === undefined, { error: 'cannot be combined with beforeSeq', path: ['afterSeq'] }),
  groupInfo: z.object({ groupId: intParam(1), afterUid: intParam(0).optional(), limit: intParam(1).optional() }),
} as const;

/** Path parameters win over query keys of the same name. */
export function parseParams<S extends z.ZodType>(schema: S, params: Record<string, string>, query: unknown = {}): z.output<S> {
  return parseBody(schema, { ...(query as Record<string, unknown>), ...params });
}

/** The listed fields of a JSON body, for the chat server's schema to judge; a body that is not an object fails here. */
export function pickFields(body: unknown, fields: readonly string[]): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) parseBody(z.object({}, { error: 'must be a JSON object' }), body ?? 0);
  const source = body as Record<string, unknown>;
  const picked: Record<string, unknown> = {};
  for (const f of fields) if (Object.prototype.hasOwnProperty.call(source, f)) picked[f] = source[f];
  return picked;
}
