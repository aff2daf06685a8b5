/**
 * Request bodies: zod schemas for every endpoint and the one way a failure is reported —
 * 400 VALIDATION_FAILED with details `[{ field, message }]`, one entry per problem.
 */
import { z } from 'zod';
import { ParleyError } from '@parley/common';
import { emailProblem, MAX_EMAIL_LENGTH } from '@parley/verify-server';

export interface FieldIssue {
  field: string;
  message: string;
}

export const NAME_PATTERN = /^[A-Za-z0-9_.-]{3,32}$/;
export const NICKNAME_MAX_LENGTH = 64;
/** Longest password accepted as input at all (the policy's own maximum is lower); bounds the hashing work. */
export const PASSWORD_INPUT_MAX = 1024;
/** Longest `account` at login: a name (≤ 32) or an address (≤ 254). */
export const ACCOUNT_MAX_LENGTH = MAX_EMAIL_LENGTH;

const text = () => z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') });

/** An e-mail address, trimmed and lower-cased (the same rule the verify-server applies). */
export const emailField = text()
  .max(MAX_EMAIL_LENGTH * 4, { error: `must be at most ${MAX_EMAIL_LENGTH} characters` })
  .transform((raw, ctx) => {
    const address = raw.trim().toLowerCase();
    const problem = emailProblem(address);
    if (problem !== undefined) {
      ctx.issues.push({ code: 'custom', message: `is not a valid e-mail address: it ${problem}`, input: raw });
      return z.NEVER;
    }
    return address;
  });

export const codeField = text().regex(/^\d{6}$/, { error: 'must be the 6-digit code from the e-mail' });

export const nameField = text()
  .min(3, { error: 'must be at least 3 characters' })
  .max(32, { error: 'must be at most 32 characters' })
  .regex(/^[A-Za-z0-9_.-]*$/, { error: 'may contain only letters A-Z, digits, "_", "." and "-"' });

/** Shape only; the strength rules are in password-policy.ts. */
export const passwordField = text()
  .min(1, { error: 'is required' })
  .max(PASSWORD_INPUT_MAX, { error: `must be at most ${PASSWORD_INPUT_MAX} characters` });

export const nicknameField = text()
  .trim()
  .max(NICKNAME_MAX_LENGTH, { error: `must be at most ${NICKNAME_MAX_LENGTH} characters` })
  .regex(/^[^\p{Cc}\p{Cf}]*$/u, { error: 'must not contain control or format characters' });

export const schemas = {
  verifyCode: z.object({
    email: emailField,
    purpose: z.enum(['register', 'reset'], { error: 'must be "register" or "reset"' }),
  }),
  register: z.object({
    email: emailField,
    code: codeField,
    name: nameField,
    password: passwordField,
    nickname: nicknameField.optional(),
  }),
  resetPassword: z.object({
    email: emailField,
    code: codeField,
    password: passwordField,
  }),
  login: z.object({
    account: text()
      .trim()
      .min(1, { error: 'is required' })
      .max(ACCOUNT_MAX_LENGTH, { error: `must be at most ${ACCOUNT_MAX_LENGTH} characters` }),
    password: passwordField,
  }),
} as const;

/** zod issues as our field list; the body itself (not an object) is reported as field "body". */
export function toFieldIssues(issues: readonly z.core.$ZodIssue[]): FieldIssue[] {
  return issues.map((i) => ({ field: i.path.length > 0 ? i.path.map(String).join('.') : 'body', message: i.path.length > 0 ? i.message : 'must be a JSON object' }));
}

/**
 * The validated body, or throws VALIDATION_FAILED listing every problem (plus `extra`, issues found by
 * checks outside the schema, such as the password rules).
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown, extra: (value: unknown) => FieldIssue[] = () => []): z.output<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const details = toFieldIssues(result.error.issues);
  const fields = new Set(details.map((d) => d.field));
  for (const issue of extra(body)) if (!fields.has(issue.field)) details.push(issue);
  throw new ParleyError('VALIDATION_FAILED', `Invalid ${[...new Set(details.map((d) => d.field))].join(', ')}`, { details });
}
