package io.ferry.common;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Secrets recognised by their content, wherever text is kept or shown (the audit log, log lines, error details):
 * PEM private keys (any kind, encrypted or not) and {@code otpauth://} URIs, which carry a second factor's seed.
 * Secrets recognised by a field's name ({@code password}, {@code secret}, ...) are the caller's; this is for text
 * that holds one where no name says so.
 */
public final class SecretText {

    private static final Pattern PRIVATE_KEY = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]*?)PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 ]*?PRIVATE KEY(?: BLOCK)?-----|\\z)",
            Pattern.DOTALL); // PEM's "PRIVATE KEY", OpenPGP's armored "PRIVATE KEY BLOCK"
    private static final Pattern OTPAUTH = Pattern.compile("otpauth://(?!\\*\\*\\*)[^\\s\"'<>]+",
            Pattern.CASE_INSENSITIVE);
    /** What stands where a secret was. */
    public static final String REDACTED = "***";

    private SecretText() {
    }

    /** Whether {@code text} holds a secret this class recognises. */
    public static boolean holdsSecret(String text) {
        return text != null && (PRIVATE_KEY.matcher(text).find() || OTPAUTH.matcher(text).find());
    }

    /** {@code text} with each private key block ({@code [EC PRIVATE KEY ***]}) and {@code otpauth://} URI redacted. */
    public static String redacted(String text) {
        if (!holdsSecret(text)) {
            return text;
        }
        String keys = PRIVATE_KEY.matcher(text).replaceAll(match ->
                Matcher.quoteReplacement("[" + match.group(1) + "PRIVATE KEY " + REDACTED + "]"));
        return OTPAUTH.matcher(keys).replaceAll(Matcher.quoteReplacement("otpauth://" + REDACTED));
    }
}
