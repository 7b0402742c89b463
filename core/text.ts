/**
 * Text that people will read on a dashboard, in a terminal or in Grafana.
 * Control characters can rewrite a terminal line or end a log record early;
 * bidirectional overrides and isolates can make one name display as another
 * (CVE-2021-42574, "Trojan Source"); zero-width characters make two names
 * that look the same compare different. None of them belong in a name, a
 * subject or a detail, so they are refused rather than stripped: the sender
 * learns what to fix and nothing is stored other than as sent.
 */

// C0 and DEL, C1 (NEL U+0085 among them), zero-width space/joiners, bidi
// embeddings and overrides (U+202A-202E), bidi isolates (U+2066-2069), BOM.
const unsafeCharacter = /[\u0000-\u001f\u007f-\u009f\u200b-\u200d\u202a-\u202e\u2066-\u2069\ufeff]/

export const unsafeTextMessage =
  'control, bidirectional-override and zero-width characters are not allowed'

export function isSafeText(value: string): boolean {
  return !unsafeCharacter.test(value)
}

// A message from a recording server may span lines (an error with its cause on
// the next line), so in free text tab, line feed and carriage return pass;
// everything else refused above stays refused.
const unsafeInMessage = new RegExp(
  '[\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f' +
    '\\u200b-\\u200d\\u202a-\\u202e\\u2066-\\u2069\\ufeff]',
)

/** For detail values: multi-line text, but nothing that can hide or rewrite it. */
export function isSafeMessage(value: string): boolean {
  return !unsafeInMessage.test(value)
}
