package io.ferry.common;

/**
 * Text a stranger chose (a user name, a path), made safe for one log line: control and other invisible characters
 * are shown as unicode escapes, so nobody can forge a line or hide one, and it is cut at a length a line can bear.
 */
public final class LogText {

    private static final int MAX = 512;

    private LogText() {
    }

    /** {@code text} quoted for a log line ({@code 'name'}; {@code null} as is). */
    public static String quoted(String text) {
        return text == null ? "null" : "'" + escaped(text) + "'";
    }

    /** {@code text} with what could forge or hide a line shown as unicode escapes, cut to a line's worth. */
    public static String escaped(String text) {
        if (text == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(Math.min(text.length(), MAX));
        for (int i = 0; i < text.length() && i < MAX; i++) {
            char c = text.charAt(i);
            int type = Character.getType(c);
            if (c < 0x20 || c == 0x7f || c == '\'' || c == '\\' || type == Character.FORMAT
                    || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        if (text.length() > MAX) {
            out.append("...");
        }
        return out.toString();
    }
}
