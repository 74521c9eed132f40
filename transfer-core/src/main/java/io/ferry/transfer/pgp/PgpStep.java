package io.ferry.transfer.pgp;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The OpenPGP step of a copy route: {@code encryptTo} a key (optionally signed with one of Ferry's key pairs,
 * {@code signWith}), or {@code decrypt} with Ferry's key pairs (optionally requiring a valid signature by the key
 * {@code verifyWith}). Keys are named as imported ({@link PgpKeys}).
 */
public record PgpStep(String encryptTo, String signWith, Boolean decrypt, String verifyWith) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    /** The step as given, checked for its shape (the keys it names are checked by {@link PgpKeys#check}). */
    public PgpStep {
        boolean decrypts = Boolean.TRUE.equals(decrypt);
        if (decrypts == (encryptTo != null)) {
            throw new IllegalArgumentException("an OpenPGP step either encrypts (encryptTo: a key's name) or "
                    + "decrypts (decrypt: true)");
        }
        if (decrypts && signWith != null || !decrypts && verifyWith != null) {
            throw new IllegalArgumentException("signWith goes with encryptTo, verifyWith with decrypt");
        }
        for (String name : new String[] {encryptTo, signWith, verifyWith}) {
            if (name != null && !NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("an OpenPGP key's name is 1-64 letters, digits, '.', '_' or '-'");
            }
        }
        decrypt = decrypts;
    }

    public boolean decrypts() {
        return decrypt;
    }

    /** As the database keeps it: {@code encrypt KEY [sign KEY]} or {@code decrypt [verify KEY]}. */
    public String text() {
        return decrypt ? "decrypt" + (verifyWith == null ? "" : " verify " + verifyWith)
                : "encrypt " + encryptTo + (signWith == null ? "" : " sign " + signWith);
    }

    /** The step {@link #text()} wrote, or null for none. */
    public static PgpStep parse(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        String[] words = text.trim().split(" ");
        if (words[0].equals("decrypt")) {
            return new PgpStep(null, null, true, words.length >= 3 && words[1].equals("verify") ? words[2] : null);
        }
        if (words[0].equals("encrypt") && words.length >= 2) {
            return new PgpStep(words[1], words.length >= 4 && words[2].equals("sign") ? words[3] : null, false, null);
        }
        throw new IllegalStateException("not an OpenPGP step: " + text);
    }

    /** The name a route gives the result unless told otherwise: {@code {name}.pgp}, or {@code {stem}}. */
    public String defaultName() {
        return decrypt ? "{stem}" : "{name}.pgp";
    }

    /** {@code name} without a final {@code .pgp}, {@code .gpg} or {@code .asc} (an OpenPGP file's own name). */
    public static String stem(String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        for (String suffix : new String[] {".pgp", ".gpg", ".asc"}) {
            String stem = name.substring(0, Math.max(0, name.length() - suffix.length()));
            // never a name that is no file's: "...pgp" would otherwise become ".."
            if (lower.endsWith(suffix) && !stem.isEmpty() && !stem.equals(".") && !stem.equals("..")) {
                return stem;
            }
        }
        return name;
    }
}
