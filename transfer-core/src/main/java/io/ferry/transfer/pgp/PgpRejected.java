package io.ferry.transfer.pgp;

import java.io.IOException;

/**
 * A file that OpenPGP says must not go on: encrypted to none of Ferry's keys, not signed (or badly signed) by the key a
 * route requires, altered, or not a message at all. Not a passing fault: retrying cannot help, so the file is
 * quarantined and its work item fails at once, with this message as the reason.
 */
public class PgpRejected extends IOException {

    private static final long serialVersionUID = 1L;

    public PgpRejected(String reason) {
        super(reason);
    }
}
