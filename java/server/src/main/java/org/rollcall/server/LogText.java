package org.rollcall.server;

/**
 * Makes untrusted text (a message type, a close reason, a header, anything a client chose) safe
 * to put in a log line: one line, no terminal escapes, bounded length. A newline in a client's
 * {@code type} once forged a whole fake log line; escaped, it is visibly part of the offender's.
 */
final class LogText {
    static final int MAX_CHARS = 200;

    private LogText() {
    }

    /**
     * Backslash escapes for control characters (C0, DEL, C1), line and paragraph separators and
     * bidirectional overrides; a backslash itself is doubled so that an escape cannot be faked.
     * Longer text is cut at {@link #MAX_CHARS} with a count of what was left out.
     */
    static String escape(CharSequence text) {
        if (text == null) {
            return "null";
        }
        int length = Math.min(text.length(), MAX_CHARS);
        StringBuilder out = new StringBuilder(length + 16);
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (needsEscape(c)) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        if (text.length() > MAX_CHARS) {
            out.append("…(").append(text.length() - MAX_CHARS).append(" more chars)");
        }
        return out.toString();
    }

    private static boolean needsEscape(char c) {
        return c < 0x20 || (c >= 0x7f && c <= 0x9f)
                || c == '\u2028' || c == '\u2029'                  // line and paragraph separators
                || (c >= '\u202a' && c <= '\u202e')                // bidi embeddings and overrides
                || (c >= '\u2066' && c <= '\u2069');              // bidi isolates
    }
}
