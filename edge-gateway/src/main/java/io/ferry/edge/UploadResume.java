package io.ferry.edge;

/**
 * The rule for carrying an upload over to another node, for SFTP ({@link SftpChannelRelay}) and bridged FTPS
 * ({@link BridgedUpload}) alike. The edge holds what it sent since the upload's last durable point ({@code from}) up
 * to what it sent last ({@code end}). The new node says whether it has the upload and about how much
 * ({@code pending-upload@ferry.io}, which never starts an upload or copies a file); the edge opens it there (with
 * truncation when there is nothing, so that the upload never becomes a copy of an older file; or when the node has
 * none and the edge holds all of it) and the upload continues only if what the open kept (its size, the last segments
 * checked) is within what the edge holds. An upload opened afresh (truncated) holds only what the partner sent in
 * order, so it continues from what the node kept; another may hold older bytes past what the edge sent (a part it
 * continued, a copy of the file it changes), so everything the edge holds is sent again. An upload whose close was
 * under way when its node died, and that the new node no longer has, may or may not have been published: the partner
 * is told so.
 */
final class UploadResume {

    /** The node's SFTP extension that says what an upload in progress can be resumed from (edges only). */
    static final String PENDING_UPLOAD = "pending-upload@ferry.io";

    private UploadResume() {
    }

    /** Why the upload cannot continue from {@code kept}, or null when it can. */
    static String refusal(long kept, long from, long end) {
        if (kept < from || kept > end) {
            return "the node kept " + kept + " bytes of the upload, the edge holds " + from + "-" + end;
        }
        return null;
    }

    /** Whether the new node's open starts the upload from nothing. */
    static boolean fromNothing(long kept) {
        return kept == 0;
    }
}
