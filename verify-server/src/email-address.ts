/**
 * The e-mail address rule every Parley service applies: a pragmatic subset of RFC 5321/5322 that real
 * mailboxes use (dot-atom local part, DNS host name), lower-cased so one mailbox has one spelling.
 * The gate imports it too, so "valid" means the same thing at the HTTP edge and in the verify-server.
 */
import { ParleyError } from '@parley/common';

/** RFC 5321: a forward-path holds at most 254 characters of address. */
export const MAX_EMAIL_LENGTH = 254;
const MAX_LOCAL_LENGTH = 64;
const MAX_LABEL_LENGTH = 63;

/** atext of RFC 5322 without the quoted-string form (which no one types into a sign-up form). */
const LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
/** A top-level domain is alphabetic (or an IDN in punycode); "1.2.3.4" is not a mail domain. */
const TLD = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** Why an address is refused, or undefined when it is acceptable. `address` must already be trimmed and lower-cased. */
export function emailProblem(address: string): string | undefined {
  if (address.length === 0) return 'is empty';
  if (address.length > MAX_EMAIL_LENGTH) return `is longer than ${MAX_EMAIL_LENGTH} characters`;
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) return 'needs the form name@domain';
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length > MAX_LOCAL_LENGTH) return `has a part before @ longer than ${MAX_LOCAL_LENGTH} characters`;
  if (!LOCAL_PART.test(local)) return 'has characters before @ that are not allowed';
  const labels = domain.split('.');
  if (labels.length < 2) return 'needs a domain with a dot';
  for (const label of labels) {
    if (label.length === 0 || label.length > MAX_LABEL_LENGTH || !LABEL.test(label)) return 'has a domain that is not a valid host name';
  }
  if (!TLD.test(labels[labels.length - 1] ?? '')) return 'has a domain that is not a valid host name';
  return undefined;
}

/** Trimmed and lower-cased, or undefined when not an acceptable address. */
export function tryNormalizeEmail(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  // Refuse before lower-casing a huge string; 4× leaves room for surrounding blanks.
  if (raw.length > MAX_EMAIL_LENGTH * 4) return undefined;
  const address = raw.trim().toLowerCase();
  return emailProblem(address) === undefined ? address : undefined;
}

/** The canonical form of an address; throws EMAIL_INVALID (details: { reason }) when it is not acceptable. */
export function normalizeEmail(raw: unknown): string {
  if (typeof raw !== 'string') throw new ParleyError('EMAIL_INVALID', undefined, { details: { reason: 'is not a string' } });
  const address = raw.trim().toLowerCase();
  const problem = raw.length > MAX_EMAIL_LENGTH * 4 ? `is longer than ${MAX_EMAIL_LENGTH} characters` : emailProblem(address);
  if (problem !== undefined) throw new ParleyError('EMAIL_INVALID', `The e-mail address ${problem}`, { details: { reason: problem } });
  return address;
}
