/** RFC 4180: a field that holds a comma, quote or line break is quoted, its quotes doubled. */
export const csvField = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
