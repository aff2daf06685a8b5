/**
 * Password rules for new passwords (registration and reset); login accepts whatever was set.
 * - 8 to 128 characters (Unicode code points, after NFKC normalisation);
 * - at least two of: lower-case letters, upper-case letters, digits, anything else (symbols, spaces,
 *   letters without case such as CJK);
 * - no control characters;
 * - at registration, not containing the user name.
 * Length beats composition for strength; the class rule only refuses the weakest shapes ("aaaaaaaa",
 * "12345678"). Docs: docs/http-api.md#password-rules.
 */
import { ParleyError } from '@parley/common';
import type { FieldIssue } from './validation';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;
export const PASSWORD_MIN_CLASSES = 2;

/** Every rule `password` breaks, as field issues; empty when it is acceptable. */
export function passwordProblems(password: string, context: { name?: string } = {}): FieldIssue[] {
  const pw = password.normalize('NFKC');
  const problems: string[] = [];
  const length = [...pw].length;
  if (length < PASSWORD_MIN_LENGTH) problems.push(`must be at least ${PASSWORD_MIN_LENGTH} characters`);
  if (length > PASSWORD_MAX_LENGTH) problems.push(`must be at most ${PASSWORD_MAX_LENGTH} characters`);
  if (/\p{Cc}/u.test(pw)) problems.push('must not contain control characters');
  const classes = [/\p{Ll}/u, /\p{Lu}/u, /\p{Nd}/u, /[^\p{Ll}\p{Lu}\p{Nd}]/u].filter((re) => re.test(pw)).length;
  if (classes < PASSWORD_MIN_CLASSES) problems.push('must mix at least two of: lower-case letters, upper-case letters, digits, other characters');
  const name = context.name?.toLowerCase();
  if (name && name.length >= 3 && pw.toLowerCase().includes(name)) problems.push('must not contain the user name');
  return problems.map((message) => ({ field: 'password', message }));
}

/** Throws WEAK_PASSWORD (details: the broken rules) unless `password` follows the rules. */
export function assertPasswordAcceptable(password: string, context: { name?: string } = {}): void {
  const problems = passwordProblems(password, context);
  if (problems.length > 0) throw new ParleyError('WEAK_PASSWORD', `The password ${problems.map((p) => p.message).join('; ')}`, { details: problems });
}
