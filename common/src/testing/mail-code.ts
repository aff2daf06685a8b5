/** The 6-digit code in a verification mail's text (quoted-printable soft line breaks removed). */
export function extractCode(raw: string): string | undefined {
  return /\b(\d{6})\b/.exec(raw.replace(/=\r?\n/g, ''))?.[1];
}
