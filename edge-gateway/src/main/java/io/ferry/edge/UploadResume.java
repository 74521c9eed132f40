package io.ferry.edge;

/**
 * The rule for carrying an upload over to another node, for SFTP ({@link SftpChannelRelay}) and bridged FTPS
 * ({@link BridgedUpload}) alike. The edge holds what it sent since the upload's last durable point ({@code from}) up
 * to what it sent last ({@code end}); the new node says what it kept ({@code pending-upload@ferry.io}, which never
 * starts an upload or copies a file): the upload continues there only if that is within what the edge holds, from
 * nothing when nothing was kept (an open with truncation, so that the upload never becomes a copy of an older file).
 * An upload whose close was under way and that the node no longer has was completed by the node that died when the
 * file is as long as what was sent.
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

    /** Whether a close under way when the node died had completed the upload: the file is all that was sent. */
    static boolean completedThere(long fileSize, long end) {
        return fileSize >= 0 && fileSize == end;
    }
}
